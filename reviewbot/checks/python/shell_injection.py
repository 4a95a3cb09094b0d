"""shell-injection: a shell command line formatted from non-constant values."""

from __future__ import annotations

import libcst as cst

from reviewbot.model.rule import PythonRule
from reviewbot.python.foreign import ForeignSuppressions
from reviewbot.python.names import argument, is_true, keyword
from reviewbot.python.strings import StringTracker
from reviewbot.python.syntax import Syntax, calls_to

# Run their argument through `/bin/sh -c` only with `shell=True`.
SUBPROCESS = frozenset(
    {
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.Popen",
    }
)
# Always run their argument through a shell.
ALWAYS_SHELL = frozenset(
    {
        "os.system",
        "os.popen",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
        "asyncio.create_subprocess_shell",
        "asyncio.subprocess.create_subprocess_shell",
        "commands.getoutput",
    }
)
# Values quoted for the shell, resolved through imports (`from shlex import quote as q`).
SHELL_QUOTING = frozenset({"shlex.quote", "shlex.join", "pipes.quote"})


class ShellInjection(ForeignSuppressions, StringTracker, PythonRule):
    id = "shell-injection"
    FOREIGN_CODES = frozenset({"B609", "S609", "B605", "S605", "S602", "B602"})
    prefilter = (
        "subprocess",
        "os.system",
        "import system",
        ", system",
        "popen",
        "getoutput",
        "create_subprocess_shell",
    )
    SAFE_QUALIFIED = SHELL_QUOTING
    # Test code shells out with fixture values; nobody can inject into it.
    skip_tests = True

    @classmethod
    def wants_tree(cls, syntax: Syntax) -> bool:
        return next(calls_to(syntax, ALWAYS_SHELL | SUBPROCESS), None) is not None

    def visit_Call(self, node: cst.Call) -> None:
        names = self.qualified_names(node.func)
        if names & ALWAYS_SHELL:
            name = min(names & ALWAYS_SHELL)
            command = argument(node, 0, "cmd") or argument(node, 0, "command")
        elif names & SUBPROCESS:
            if not is_true(keyword(node, "shell")):
                return
            name = f"{min(names & SUBPROCESS)}(shell=True)"
            command = argument(node, 0, "args")
        else:
            return
        if command is None:
            return
        built = self.follow(command)
        if built.constant or not built.how or self.foreign_suppressed():
            # Constant text, or a value passed through unchanged that this rule cannot judge.
            return
        how, parts = built.described()
        self.report(
            command,
            f"The command given to `{name}` is built with {how} from {parts} and run by a shell, "
            "so quotes, `;` or `$(...)` in those values run other commands; pass an argument "
            'list without `shell=True` (`subprocess.run(["tar", "-xf", path])`), or quote each '
            "value with `shlex.quote`.",
        )
