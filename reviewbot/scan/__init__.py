"""The scan: per-file analysis (in workers, cached), project rules, suppressions, baselines, change filters."""

# The default time budget of one file in a parallel scan. The slowest real file measured (a
# 5 MB module of the corpus, every rule on) takes about 15 s on a loaded 2-core machine.
# Here, not in `parallel`, so the command line's parser reads it without loading the scanner.
DEFAULT_FILE_TIMEOUT = 60.0
