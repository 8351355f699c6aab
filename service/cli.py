"""Operator commands: ``python -m service keys ...`` and ``python -m service db ...``.

``keys create`` prints the new key alone on the last line of stdout (the
details go to stderr), so scripts can capture it with ``tail -n 1``. Key
commands first bring the database schema up to date, so a key can be made on
a fresh machine before the server ever ran.
"""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from service.access.keys import LOOKUP_PREFIX_LENGTH, ROLES, create_key, list_keys, revoke_key
from service.storage.db import get_db
from service.storage.migrate import current_revision, head_revision, upgrade_database

keys_cli = AppGroup("keys", help="Issue, list and revoke API keys.")
db_cli = AppGroup("db", help="Database schema migrations (Alembic).")


def _upgrade() -> None:
    upgrade_database(current_app.config["POLISURE_DATABASE_URL"])


@keys_cli.command("create")
@click.option("--tenant", required=True, help="Tenant id (created if new).")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the key may do.")
def keys_create(tenant: str, role: str) -> None:
    """Create an API key and print it (only its hash is stored)."""
    _upgrade()
    with get_db().session() as session, session.begin():
        try:
            key = create_key(session, tenant, role)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from exc
    click.echo(f"Created a key with role {role} for tenant {tenant}; shown only once.", err=True)
    click.echo(key)


@keys_cli.command("list")
@click.option("--tenant", default=None, help="Only this tenant's keys.")
def keys_list(tenant: str | None) -> None:
    """List keys by prefix (the keys themselves are not stored)."""
    _upgrade()
    with get_db().session() as session:
        for k in list_keys(session, tenant):
            state = f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "active"
            click.echo(f"{k.prefix}\t{k.tenant_id}\t{k.role}\t{k.created_at:%Y-%m-%d}\t{state}")


@keys_cli.command("revoke")
@click.argument("prefix")
def keys_revoke(prefix: str) -> None:
    """Revoke the key whose first 12 characters are PREFIX (the whole key works too)."""
    # Only the lookup prefix is ever used or printed: an operator who pastes
    # the whole key must not see it echoed into a terminal log.
    prefix = prefix.strip()[:LOOKUP_PREFIX_LENGTH]
    _upgrade()
    with get_db().session() as session, session.begin():
        found = revoke_key(session, prefix)
    if not found:
        raise click.ClickException(f"no key with prefix {prefix!r} (see 'keys list')")
    click.echo(f"revoked {prefix}")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (``alembic upgrade head``)."""
    _upgrade()
    url = current_app.config["POLISURE_DATABASE_URL"]
    click.echo(f"database at revision {current_revision(url)}")


@db_cli.command("current")
def db_current() -> None:
    """Print the database's revision and the newest one."""
    url = current_app.config["POLISURE_DATABASE_URL"]
    click.echo(f"current {current_revision(url)}; head {head_revision()}")


def init_app(app: Flask) -> None:
    app.cli.add_command(keys_cli)
    app.cli.add_command(db_cli)
