"""Project rules."""
