"""Operator commands: `flask --app wsgi users ...` and friends."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from .accounts import AccountError, create_user
from .extensions import db
from .models import User

users = AppGroup("users", help="Manage accounts.")


@users.command("create")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--admin", is_flag=True, help="Let this account delete captures.")
def users_create(email: str, password: str, admin: bool) -> None:
    """Create an account."""
    try:
        user = create_user(email, password, admin=admin)
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    role = "admin" if user.is_admin else "user"
    click.echo(f"Created {role} {user.email} (id {user.id}, external id {user.external_id}).")


@users.command("list")
def users_list() -> None:
    """List accounts, oldest first."""
    rows = db.session.scalars(sa.select(User).order_by(User.id)).all()
    if not rows:
        click.echo("No accounts yet. Create one with: flask --app wsgi users create EMAIL")
        return
    for user in rows:
        role = "admin" if user.is_admin else "user"
        click.echo(
            f"{user.id}\t{user.email}\t{role}\t{user.external_id or '-'}\t"
            f"{user.created_at:%Y-%m-%d %H:%M}"
        )


captures = AppGroup("captures", help="Manage captured registration requests.")


@captures.command("prune")
@click.option(
    "--max-count", type=int, default=None, help="Keep at most this many (default: setting)."
)
@click.option(
    "--max-days", type=int, default=None, help="Keep at most this many days (default: setting)."
)
def captures_prune(max_count: int | None, max_days: int | None) -> None:
    """Apply the retention setting now."""
    from flask import current_app

    from .receiver.store import prune

    count = current_app.config["CAPTURE_MAX_COUNT"] if max_count is None else max_count
    days = current_app.config["CAPTURE_MAX_DAYS"] if max_days is None else max_days
    removed = prune(count, days)
    click.echo(f"Removed {removed} captures (keeping at most {count}, for {days} days).")


@captures.command("import-log")
@click.option("--path", default=None, help="Log file (default: the CAPTURE_LOG setting).")
def captures_import_log(path: str | None) -> None:
    """Load captures from the JSON-lines log that the database is missing."""
    from flask import current_app

    from .receiver.store import import_log

    added, seen = import_log(path or current_app.config["CAPTURE_LOG"])
    click.echo(f"Added {added} of {seen} logged captures; the rest were already stored.")


devices_group = AppGroup("devices", help="Manage the user-device links.")


@devices_group.command("prune")
@click.option(
    "--days", type=click.IntRange(min=1), required=True, help="Unseen for this many days."
)
def devices_prune(days: int) -> None:
    """Remove links between users and devices not seen for DAYS days."""
    from .devices import prune_links

    removed = prune_links(days)
    click.echo(f"Removed {removed} device links not seen for {days} days.")


def init_app(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(captures)
    app.cli.add_command(devices_group)
