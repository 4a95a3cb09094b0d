"""The `reviewbot` console script: answers `--version` before importing the scanner.

`reviewbot.cli` imports libcst, sqlglot and PyGithub (about a second on a cold start); pre-commit
and editors call `--version` to check the tool is there, which needs none of them.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--version"]:
        from reviewbot import __version__

        print(f"reviewbot {__version__}")
        return 0
    from reviewbot.cli import main as cli_main

    return cli_main(args)
