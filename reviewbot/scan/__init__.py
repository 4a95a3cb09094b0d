"""The scan: per-file analysis (in workers, cached), project rules, suppressions, baselines, change filters."""
