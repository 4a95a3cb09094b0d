"""request-without-timeout: an HTTP call that can wait forever for a server that never answers."""

from __future__ import annotations

import libcst as cst

from reviewbot.model.findings import Fix
from reviewbot.model.rule import PythonRule
from reviewbot.python.bindings import Bindings
from reviewbot.python.fixes import end_of
from reviewbot.python.foreign import ForeignSuppressions
from reviewbot.python.names import (
    argument,
    dotted,
    has_double_star,
    is_none,
    keyword,
    method_name,
    receiver,
)

HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request"})
REQUESTS_FUNCTIONS = frozenset(
    {f"requests.{m}" for m in HTTP_METHODS} | {f"requests.api.{m}" for m in HTTP_METHODS}
)
REQUESTS_SESSIONS = frozenset(
    {
        "requests.Session",
        "requests.session",
        "requests.sessions.Session",
        "requests.sessions.session",
    }
)
# `Session.send(prepared)` sends a `PreparedRequest`: no timeout unless passed, like `get`.
SESSION_ONLY_METHODS = frozenset({"send"})
# `requests.Session().get(...)` resolves to `requests.Session.get`.
REQUESTS_SESSION_METHODS = frozenset(
    f"{session}.{m}" for session in REQUESTS_SESSIONS for m in HTTP_METHODS | SESSION_ONLY_METHODS
)
URLOPEN = frozenset({"urllib.request.urlopen", "urllib2.urlopen"})
# httpx applies a 5 s default timeout everywhere; only an explicit `timeout=None` removes it.
HTTPX_CALLS = frozenset(
    {f"httpx.{m}" for m in (*HTTP_METHODS, "stream")}
    | {"httpx.Client", "httpx.AsyncClient"}
    | {f"httpx.Client.{m}" for m in (*HTTP_METHODS, "stream", "send")}
    | {f"httpx.AsyncClient.{m}" for m in (*HTTP_METHODS, "stream", "send")}
)
DIRECT_CALLS = REQUESTS_FUNCTIONS | REQUESTS_SESSION_METHODS | URLOPEN
# Seconds the fix writes when the `fix-timeout` option does not say.
DEFAULT_FIX_TIMEOUT = 10


class RequestWithoutTimeout(ForeignSuppressions, Bindings, PythonRule):
    id = "request-without-timeout"
    skip_tests = True
    FOREIGN_CODES = frozenset({"S113", "B113"})
    # Imports, not the word: "requests" is common in comments and docstrings.
    prefilter = ("import requests", "from requests", ", requests", "httpx", "urlopen")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Names (and `self.attr`s) of sessions given a default timeout.
        self.configured: set[str] = set()

    def visit_Assign(self, node: cst.Assign) -> None:
        super().visit_Assign(node)
        # `session.request = functools.partial(session.request, timeout=5)`
        for target in node.targets:
            if isinstance(target.target, cst.Attribute) and target.target.attr.value in (
                "request",
                "send",
            ):
                self._mark_configured(target.target.value)

    def visit_Call(self, node: cst.Call) -> None:
        if has_double_star(node) or self.foreign_suppressed():
            return  # the timeout may be in **kwargs
        names = self.qualified_names(node.func)
        # urlopen(url, data, timeout) also takes it by position.
        timeout = argument(node, 2, "timeout") if names & URLOPEN else keyword(node, "timeout")
        if names & HTTPX_CALLS:
            if timeout is not None and is_none(timeout):
                self.report(
                    timeout,
                    "`timeout=None` removes httpx's default timeout, so this call can hang "
                    "forever; pass a finite `httpx.Timeout(...)`.",
                    fix=self._replace_none(timeout),
                )
            return
        if timeout is not None:
            if is_none(timeout) and names & (REQUESTS_FUNCTIONS | REQUESTS_SESSION_METHODS):
                self.report(
                    timeout,
                    "`timeout=None` waits forever for a server that never answers; pass a finite "
                    "timeout (seconds, or a `(connect, read)` tuple).",
                    fix=self._replace_none(timeout),
                )
            return
        method = method_name(node)
        target = receiver(node)
        if method == "mount" and target is not None:
            self._mark_configured(target)
            return
        direct = names & DIRECT_CALLS
        if direct:
            self._report(node, min(direct))
            return
        if method in HTTP_METHODS | SESSION_ONLY_METHODS and target is not None:
            if self._key(target) in self.configured:
                return
            if self.constructed_by(target, self.qualified_names) & REQUESTS_SESSIONS:
                self._report(node, f"requests.Session.{method}")

    def _report(self, node: cst.Call, name: str) -> None:
        context = self.context
        if context.migration:
            stuck = "blocking the deploy that runs this migration"
        elif context.command:
            stuck = "so a scheduled run of this command never ends and the next ones pile up"
        else:
            stuck = "tying up a worker"
        self.report(
            node,
            f"`{name}` without `timeout=` waits forever if the server accepts the connection but "
            f"never answers, {stuck}; pass `timeout=` (seconds, or a `(connect, read)` tuple).",
            fix=self._add_timeout(node),
        )

    def _seconds(self) -> str:
        value = self.options.get("fix-timeout", DEFAULT_FIX_TIMEOUT)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            value = DEFAULT_FIX_TIMEOUT
        return repr(value)

    def _add_timeout(self, node: cst.Call) -> Fix:
        """Unsafe: the right limit depends on the server called; the default comes from the
        `fix-timeout` option."""
        seconds = self._seconds()
        if node.args:
            edit = self.insert(end_of(self.file, node.args[-1].value), f", timeout={seconds}")
        else:
            _, end = self.file.span(node)
            edit = self.insert(end - 1, f"timeout={seconds}")
        return Fix(title=f"Add `timeout={seconds}`", edits=(edit,), safe=False)

    def _replace_none(self, timeout: cst.BaseExpression) -> Fix:
        seconds = self._seconds()
        return Fix(
            title=f"Use `timeout={seconds}`", edits=(self.edit(timeout, seconds),), safe=False
        )

    @staticmethod
    def _key(node: cst.BaseExpression) -> str:
        # File-wide on purpose: a session configured anywhere under this name is trusted (the
        # adapter is usually mounted where the session is built, far from where it is used).
        return dotted(node) or ""

    def _mark_configured(self, node: cst.BaseExpression) -> None:
        key = self._key(node)
        if key:
            self.configured.add(key)
