"""PostgreSQL: the server runs as an application role that owns nothing.

Migrations run as the owner role (the URL given to `defcore server init`); the server's own
role (`--app-role`) gets only the privileges a request needs, so that a stolen application
password cannot disable a trigger, alter or drop a table, rewrite the audit trail or the
migration history:

- read and write on the ordinary tables, use of their sequences;
- audit_events and proposal_events: read and append only (no UPDATE, DELETE, TRUNCATE);
- audit_head: read and update its one row only;
- alembic_version: read only.

Only the owner of a table may ALTER it (and so DISABLE TRIGGER); the application role owns
none. The grants are made again by every `server init`, so tables new in a migration get them.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, inspect, text

from defcore.errors import ServerError

APPEND_ONLY = ("audit_events", "proposal_events")
UPDATE_ONLY = ("audit_head", "result_counts")
READ_ONLY = ("alembic_version",)
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def grant_app_role(engine: Engine, role: str, password: str | None = None) -> list[str]:
    """Create (or update) the application role and grant it exactly what it needs.

    Returns the statements run, with any password replaced by '***', for the log.
    """
    if engine.dialect.name != "postgresql":
        raise ServerError("--app-role is for PostgreSQL; a SQLite store has no roles")
    if not _ROLE.match(role):
        raise ServerError(
            f"--app-role {role[:80]!r}: use a lower-case name of letters, digits and _"
        )
    tables = inspect(engine).get_table_names()
    statements: list[tuple[str, str]] = []  # (statement, as logged)
    with engine.begin() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
        verb = "ALTER" if exists else "CREATE"
        login = f"{verb} ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT"
        if password:
            statements.append((f"{login} PASSWORD {_quote(password)}", f"{login} PASSWORD '***'"))
        else:
            statements.append((login, login))
        database = connection.scalar(text("SELECT current_database()"))
        plain = [
            f'GRANT CONNECT ON DATABASE "{database}" TO {role}',
            f"GRANT USAGE ON SCHEMA public TO {role}",
            f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        ]
        for table in tables:
            if table in APPEND_ONLY:
                plain.append(f"GRANT SELECT, INSERT ON {table} TO {role}")
            elif table in UPDATE_ONLY:
                plain.append(f"GRANT SELECT, UPDATE ON {table} TO {role}")
            elif table in READ_ONLY:
                plain.append(f"GRANT SELECT ON {table} TO {role}")
            else:
                plain.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {role}")
        statements += [(s, s) for s in plain]
        for statement, _logged in statements:
            connection.execute(text(statement))
        owned = connection.scalar(
            text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = :r"),
            {"r": role},
        )
        if owned:
            raise ServerError(
                f"role {role} owns {owned} of the store's tables: run migrations as another "
                "(owner) role, and give the server this one"
            )
    return [logged for _statement, logged in statements]
