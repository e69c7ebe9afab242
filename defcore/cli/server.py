"""`defcore server init` and `defcore serve`: the results server and marketplace."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from defcore.errors import ServerError

DATABASE_ENV = "DEFCORE_DATABASE_URL"
DATABASE_HELP = (
    "SQLAlchemy URL (sqlite:///file, postgresql://...); default: $DEFCORE_DATABASE_URL, else "
    "SQLite in the data dir. A URL with a password belongs in --database-file or the "
    "environment: a command line is visible to every user in `ps`."
)


def database_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option(
        "--database-file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        default=None,
        help="Read the database URL from this file (first line), e.g. a mounted secret.",
    )(command)
    return click.option(
        "--database", "database", default=None, envvar=DATABASE_ENV, help=DATABASE_HELP
    )(command)


def database_url(database: str | None, database_file: Path | None) -> str | None:
    """The URL from --database-file, else --database or $DEFCORE_DATABASE_URL."""
    if database_file is None:
        return database
    try:
        lines = database_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ServerError(f"{database_file}: cannot read the database URL: {exc}") from None
    url = lines[0].strip() if lines else ""
    if not url:
        raise ServerError(f"{database_file}: the first line should be the database URL")
    return url


def default_upload_slots(url: str | None) -> int:
    """On PostgreSQL, uploads run side by side and their CPU work (parse, check, store) took
    the reads' share: one per core, and one more to cover its waits on the database. On
    SQLite they already queue for the one write lock, and a limit only cost uploads
    (benchmarks/server_load.py: 39 against 47 a second, reads within their goal either way)."""
    from defcore.server.db import normalize_url  # the server extra: imported when serving

    if normalize_url(url).startswith("sqlite"):
        return 0
    return (os.cpu_count() or 1) + 1


@click.group()
def server() -> None:
    """Set up the results server's store."""


@server.command("init")
@database_options
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
    database_file: Path | None,
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
    from defcore.server.db import display_url, make_engine, migrate, session_factory, transaction
    from defcore.server.models import User
    from defcore.server.service import create_account

    url = database_url(database, database_file)
    engine = make_engine(url)
    try:
        before, after = migrate(engine)
        where = display_url(url)
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
@database_options
@click.option(
    "--head",
    "expect_head",
    default=None,
    help="A head (SEQ:MAC) printed by an earlier verify: check the trail still holds it.",
)
@click.pass_context
def verify(
    ctx: click.Context, database: str | None, database_file: Path | None, expect_head: str | None
) -> None:
    """Check the audit trail and every audited row against it (exit 1 if tampered with)."""
    from defcore.server import trail
    from defcore.server.db import make_engine, require_current, session_factory, transaction

    url = database_url(database, database_file)
    engine = make_engine(url)
    try:
        require_current(engine, url)
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
@database_options
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
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes (uvicorn's); each is stateless, so several servers may share one "
    "PostgreSQL behind a proxy (docs/deployment.md).",
)
@click.option(
    "--upload-slots",
    type=click.IntRange(0, 1024),
    default=None,
    help="Uploads each worker reads, parses and stores at once; the others wait their turn "
    "before any work, so that reads keep a share of the CPU. 0: no limit. Default: on "
    "PostgreSQL the machine's CPU count + 1, on SQLite no limit (uploads already take turns "
    "at its write lock).",
)
@click.option(
    "--forwarded-allow-ips",
    default=None,
    help="Behind a reverse proxy: the proxy addresses (comma-separated) whose "
    "X-Forwarded-Proto and X-Forwarded-For are believed, so the login cookie is Secure "
    "when the proxy speaks HTTPS. Unset: those headers are ignored.",
)
def serve(
    database: str | None,
    database_file: Path | None,
    host: str,
    port: int,
    guidelines: Path | None,
    quorum: int,
    anonymous_uploads: bool,
    workers: int,
    upload_slots: int | None,
    forwarded_allow_ips: str | None,
) -> None:
    """Run the results server: the /v1 API and the pages."""
    try:
        import uvicorn

        from defcore.server.app import (
            ANONYMOUS_UPLOADS_ENV,
            QUORUM_ENV,
            UPLOAD_SLOTS_ENV,
            create_app,
        )
    except ImportError as exc:
        raise ServerError(f"the server needs the `server` extra: {exc}") from None
    url = database_url(database, database_file)
    # Checked here, once, so a wrong URL or an uninitialised store is one clear line; the
    # workers then build their own app from the environment (never from a command line).
    create_app(url, guidelines, quorum, anonymous_uploads).state.defcore.engine.dispose()
    if url is not None:
        os.environ[DATABASE_ENV] = url
    if guidelines is not None:
        os.environ["DEFCORE_GUIDELINES"] = str(guidelines.resolve())
    os.environ[QUORUM_ENV] = str(quorum)
    os.environ[ANONYMOUS_UPLOADS_ENV] = "1" if anonymous_uploads else "0"
    if upload_slots is None:
        upload_slots = default_upload_slots(url)
    os.environ[UPLOAD_SLOTS_ENV] = str(upload_slots)
    slots = f"{upload_slots} uploads at once each" if upload_slots else "no upload limit"
    click.echo(
        f"serving on http://{host}:{port}/ with {workers} worker(s), {slots} "
        "(API at /v1, OpenAPI at /openapi.json)",
        err=True,
    )
    uvicorn.run(
        "defcore.server.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        proxy_headers=forwarded_allow_ips is not None,
        forwarded_allow_ips=forwarded_allow_ips,
        server_header=False,
    )
