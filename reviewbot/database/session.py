"""The database a `migrations verify` run lends its rules, and the one verification they share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reviewbot.database.plan import Unit, build_plan
from reviewbot.database.server import DatabaseError
from reviewbot.database.verify import Verification, verify

SERVICE = "database"
SHARED_KEY = "database-verification"


@dataclass(slots=True)
class DatabaseService:
    url: str
    focus: Callable[[Unit], bool] | None = None  # round-tripped (None: every migration)
    trace: Callable[[Unit], bool] | None = None  # lock-traced (None: none)
    isolate: bool = True  # empty the database between migration folders (it was empty at start)
    server_version: str = ""
    error: str | None = None
    verification: Verification | None = field(default=None)


def verification_of(project: Any) -> Verification | None:
    """The run's verification, done once on first use; None outside `migrations verify` or when
    the database failed (the command reports `service.error`)."""
    service = project.services.get(SERVICE)
    if not isinstance(service, DatabaseService):
        return None

    def build(project: Any) -> Verification | None:
        try:
            service.verification = verify(
                service.url, build_plan(project), service.focus, service.trace, service.isolate
            )
        except DatabaseError as exc:
            service.error = str(exc)
            return None
        return service.verification

    result = project.shared(SHARED_KEY, build)
    return result if isinstance(result, Verification) else None
