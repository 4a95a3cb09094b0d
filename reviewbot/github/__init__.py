"""Pull requests: diffs, diff filtering, the Actions environment, review comments and publishing."""
