"""Sql rules."""
