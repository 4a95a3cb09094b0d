"""Reading the repository: configuration, which files to scan, their text, git's changes."""
