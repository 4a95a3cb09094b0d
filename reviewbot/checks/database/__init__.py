"""Rules proven on a live PostgreSQL by `reviewbot migrations verify` (never in a plain scan)."""
