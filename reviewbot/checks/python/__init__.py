"""Python rules."""
