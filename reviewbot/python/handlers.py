"""Which functions serve HTTP requests: route-decorated functions and views, shared by the rules
that ask whether code runs once per request."""

from __future__ import annotations

import ast

import libcst as cst

from reviewbot.python.names import dotted, last_name, string_value

# `@app.route("/x")`, `@bp.get("/x")`, `@router.post("/x")`, `@app.api_route(...)`: the
# decorator's last name, on any receiver (apps and routers are named freely).
ROUTE_METHODS = frozenset(
    {"route", "get", "post", "put", "patch", "delete", "head", "options", "api_route", "websocket"}
)
# Decorators that only views carry (Django, DRF, Pyramid, Flask-Login...).
VIEW_DECORATORS = frozenset(
    {
        "api_view",
        "action",
        "view_config",
        "require_http_methods",
        "require_GET",
        "require_POST",
        "require_safe",
        "login_required",
        "csrf_exempt",
        "permission_required",
    }
)
# Methods of class-based views, called once per request with `(self, request, ...)`.
VIEW_METHODS = frozenset(
    {
        "get",
        "post",
        "put",
        "patch",
        "delete",
        "head",
        "options",
        "list",
        "create",
        "retrieve",
        "update",
        "partial_update",
        "destroy",
        "dispatch",
    }
)
REQUEST_PARAMS = frozenset({"request", "req"})
# Module prefixes of web frameworks: a file importing none of them serves no requests.
WEB_FRAMEWORKS = (
    "flask",
    "quart",
    "django",
    "rest_framework",
    "fastapi",
    "starlette",
    "aiohttp.web",
    "sanic",
    "falcon",
    "pyramid",
    "bottle",
    "tornado.web",
    "litestar",
)
WEB_IMPORT_TEXT = tuple(f"{kind} {name}" for name in WEB_FRAMEWORKS for kind in ("import", "from"))


def imports_web_framework(module: cst.Module) -> bool:
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.ImportFrom) and small.module is not None:
                name = dotted(small.module) or ""
            elif isinstance(small, cst.Import):
                name = " ".join(dotted(a.name) or "" for a in small.names)
            else:
                continue
            if any(
                part == fw or part.startswith(f"{fw}.")
                for part in name.split()
                for fw in WEB_FRAMEWORKS
            ):
                return True
    return False


def imports_web_framework_ast(tree: ast.Module) -> bool:
    """`imports_web_framework` on CPython's tree (a rule's `wants_tree`): the same top-level
    imports, the same names (a relative import's module name without its dots, as libcst's)."""
    for statement in tree.body:
        if isinstance(statement, ast.ImportFrom) and statement.module is not None:
            names = [statement.module]
        elif isinstance(statement, ast.Import):
            names = [alias.name for alias in statement.names]
        else:
            continue
        if any(part == fw or part.startswith(f"{fw}.") for part in names for fw in WEB_FRAMEWORKS):
            return True
    return False


def _route_decorator(decorator: cst.Decorator) -> bool:
    target = decorator.decorator
    call = target if isinstance(target, cst.Call) else None
    func = call.func if call is not None else target
    name = last_name(func)
    if name in VIEW_DECORATORS:
        return True
    if name not in ROUTE_METHODS or not isinstance(func, cst.Attribute):
        return False
    if name == "route" or name == "api_route" or name == "websocket":
        return True
    # `@cache.get` is not a route: HTTP-method decorators take a path first.
    if call is None or not call.args:
        return False
    path = string_value(call.args[0].value)
    return path is not None and (path.startswith("/") or path == "")


def _params(node: cst.FunctionDef) -> list[str]:
    return [p.name.value for p in (*node.params.posonly_params, *node.params.params)]


def is_request_handler(node: cst.FunctionDef, in_class: bool) -> bool:
    """A route-decorated function, a view taking `request`, or a class-based view's method."""
    if any(_route_decorator(d) for d in node.decorators):
        return True
    params = _params(node)
    if in_class:
        return node.name.value in VIEW_METHODS and len(params) >= 2 and params[1] in REQUEST_PARAMS
    return bool(params) and params[0] in REQUEST_PARAMS
