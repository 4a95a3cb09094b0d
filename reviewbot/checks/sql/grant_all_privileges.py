"""grant-all-privileges: GRANT ALL [PRIVILEGES], which gives a role every privilege there is."""

from __future__ import annotations

from sqlglot import TokenType, exp

from reviewbot.model.rule import SqlRule
from reviewbot.sql.migrations import Role, role_of
from reviewbot.sql.names import Word, command_words

_ROLE_TOKENS = frozenset({TokenType.VAR, TokenType.IDENTIFIER, TokenType.STRING})


def _grant_all_words(words: list[Word]) -> tuple[int, list[str]] | None:
    """Index of `GRANT` in a `GRANT ALL ...` (also after `ALTER DEFAULT PRIVILEGES ...`) and its roles."""
    for index, word in enumerate(words[:-1]):
        if word.kind == TokenType.GRANT and words[index + 1].upper == "ALL":
            roles: list[str] = []
            after_to = False
            previous = ""
            for following in words[index + 2 :]:
                if following.upper == "TO":
                    after_to = True
                elif after_to and following.upper in ("WITH", "GRANTED"):
                    break
                elif after_to and following.kind in _ROLE_TOKENS and previous != "@":
                    # MySQL names an account `'user'@'host'`: the host is not a role.
                    roles.append(following.text.lower())
                previous = following.text
            return index, roles
    return None


class GrantAllPrivileges(SqlRule):
    id = "grant-all-privileges"

    def _ignored(self, roles: list[str]) -> bool:
        ignored = {str(r).lower() for r in self.options.get("ignore-roles") or ()}
        return bool(roles) and all(role in ignored for role in roles)

    def _applies(self) -> bool:
        statement = self.context.statement
        return statement is not None and role_of(self.context.document, statement) in (
            Role.QUERY,
            Role.UP,
        )

    def visit_Grant(self, node: exp.Grant) -> None:
        privileges = [str(p.this.this).upper() for p in node.args.get("privileges") or () if p.this]
        if not any(p in ("ALL", "ALL PRIVILEGES") for p in privileges) or not self._applies():
            return
        roles = [p.name.lower() for p in node.args.get("principals") or ()]
        if self._ignored(roles):
            return
        self._report(node, roles)

    def visit_Command(self, node: exp.Command) -> None:
        statement = self.context.statement
        if statement is None or node is not statement.expression:
            return
        if str(node.this).upper() not in ("GRANT", "ALTER") or not self._applies():
            return
        found = _grant_all_words(command_words(self.context.document, statement))
        if found is None:
            return
        _, roles = found
        if self._ignored(roles):
            return
        self._report(node, roles)

    def _report(self, node: exp.Expression, roles: list[str]) -> None:
        who = ", ".join(f"`{r}`" for r in roles) or "the grantee"
        self.report(
            node,
            f"`GRANT ALL` gives {who} every privilege, including `TRUNCATE`, `REFERENCES` and "
            "`TRIGGER` (and `TRUNCATE` bypasses row level security); grant only what the role "
            "uses, e.g. `GRANT SELECT, INSERT, UPDATE ON ... TO ...`.",
        )
