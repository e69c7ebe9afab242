"""`defcore server init` and `defcore serve`: the results server and marketplace."""

from __future__ import annotations

from pathlib import Path

import click

from defcore.errors import ServerError

DATABASE_HELP = (
    "SQLAlchemy URL (sqlite:///file, postgresql://...); default: SQLite in the data dir."
)


@click.group()
def server() -> None:
    """Set up the results server's store."""


@server.command("init")
@click.option("--database", "database", default=None, help=DATABASE_HELP)
@click.option("--admin", "admin_name", default="admin", show_default=True)
@click.option(
    "--app-role",
    default=None,
    help="PostgreSQL: create or update this role for the server to run as; it owns nothing "
    "and gets only what requests need (--database is then the owner's URL).",
)
@click.option(
    "--app-password-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A file holding the --app-role's password (never printed).",
)
def init(
    database: str | None,
    admin_name: str,
    app_role: str | None,
    app_password_file: Path | None,
) -> None:
    """Create or migrate the store; print a first foundation admin's API token.

    Also makes the audit trail's key (DEFCORE_TRAIL_KEY_FILE, default trail.key in the data
    directory) when there is none, and seals the trail with it.
    """
    from sqlalchemy import select

    from defcore.server import trail
    from defcore.server.db import (
        make_engine,
        migrate,
        normalize_url,
        session_factory,
        transaction,
    )
    from defcore.server.models import User
    from defcore.server.service import create_account

    engine = make_engine(database)
    try:
        before, after = migrate(engine)
        where = normalize_url(database)
        if before == after:
            click.echo(f"store {where} is at revision {after}", err=True)
        else:
            click.echo(f"store {where} migrated from {before or 'empty'} to {after}", err=True)
        key = trail.load_key(create=True)
        with transaction(session_factory(engine)) as session:
            adopted = trail.seal(session, key)
        click.echo(f"audit trail key: {trail.key_path()}", err=True)
        if adopted:
            click.echo(f"audit trail: {adopted} existing rows entered the trail", err=True)
        if app_role:
            from defcore.server.roles import grant_app_role

            password = None
            if app_password_file is not None:
                password = app_password_file.read_text(encoding="utf-8").strip()
            for statement in grant_app_role(engine, app_role, password):
                click.echo(f"  {statement}", err=True)
            click.echo(f"role {app_role} may now run the server; it owns nothing", err=True)
        with transaction(session_factory(engine)) as session:
            existing = session.scalar(select(User).where(User.foundation_admin.is_(True)))
            if existing is not None:
                click.echo(
                    f"foundation admin {existing.name!r} exists; its token is not shown again",
                    err=True,
                )
                return
            _user, token = create_account(session, admin_name, foundation_admin=True)
        click.echo(f"foundation admin {admin_name!r} created; API token:", err=True)
        click.echo(token)
    finally:
        engine.dispose()


@server.command("verify")
@click.option("--database", "database", default=None, help=DATABASE_HELP)
@click.option(
    "--head",
    "expect_head",
    default=None,
    help="A head (SEQ:MAC) printed by an earlier verify: check the trail still holds it.",
)
@click.pass_context
def verify(ctx: click.Context, database: str | None, expect_head: str | None) -> None:
    """Check the audit trail and every audited row against it (exit 1 if tampered with)."""
    from defcore.server import trail
    from defcore.server.db import make_engine, require_current, session_factory, transaction

    engine = make_engine(database)
    try:
        require_current(engine, database)
        key = trail.load_key()
        with transaction(session_factory(engine)) as session:
            report = trail.verify(session, key, expect_head)
    finally:
        engine.dispose()
    for problem in report.problems:
        click.echo(f"TAMPERED: {problem}")
    if report.problems:
        ctx.exit(1)
    click.echo(f"trail intact: {report.entries} entries; head {report.head}")


@click.command("serve")
@click.option("--database", "database", default=None, help=DATABASE_HELP)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--guidelines",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Directory of guidelines to judge against (default: $DEFCORE_GUIDELINES).",
)
@click.option(
    "--quorum",
    type=click.IntRange(1),
    default=3,
    show_default=True,
    help="+1 votes a new proposal needs before a maintainer may advance it.",
)
@click.option(
    "--anonymous-uploads/--no-anonymous-uploads",
    default=True,
    show_default=True,
    help="Keep unsigned uploads without a token as private, unlisted results (RefStack's "
    "enable_anonymous_upload); with --no-anonymous-uploads they are refused (401).",
)
def serve(
    database: str | None,
    host: str,
    port: int,
    guidelines: Path | None,
    quorum: int,
    anonymous_uploads: bool,
) -> None:
    """Run the results server: the /v1 API and the pages."""
    try:
        import uvicorn

        from defcore.server.app import create_app
    except ImportError as exc:
        raise ServerError(f"the server needs the `server` extra: {exc}") from None
    app = create_app(database, guidelines, quorum, anonymous_uploads)
    click.echo(f"serving on http://{host}:{port}/ (API at /v1, OpenAPI at /openapi.json)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
