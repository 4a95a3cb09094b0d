"""Proving migrations on a live PostgreSQL: the server, the plan, the run, schema snapshots."""
