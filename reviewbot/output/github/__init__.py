"""Pull requests: the Actions environment, review comments, the sticky summary and publishing."""
