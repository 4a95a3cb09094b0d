"""`python -m reviewbot` runs the command line (through `entry`, as the console script does)."""

from reviewbot.entry import main

raise SystemExit(main())
