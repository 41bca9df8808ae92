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

    from .receiver.capture_log import prune_log
    from .receiver.store import prune

    count = current_app.config["CAPTURE_MAX_COUNT"] if max_count is None else max_count
    days = current_app.config["CAPTURE_MAX_DAYS"] if max_days is None else max_days
    removed = prune(count, days)
    dropped = prune_log(current_app.config["CAPTURE_LOG"], count, days)
    click.echo(
        f"Removed {removed} captures and {dropped} lines from the capture log "
        f"(keeping at most {count}, for {days} days)."
    )


@captures.command("import-log")
@click.option("--path", default=None, help="Log file (default: the CAPTURE_LOG setting).")
def captures_import_log(path: str | None) -> None:
    """Load the captures the database is missing from the JSON-lines capture
    log, then apply retention."""
    from flask import current_app

    from .receiver.capture_log import import_log
    from .receiver.store import prune

    config = current_app.config
    added, seen = import_log(path or config["CAPTURE_LOG"])
    if added:
        prune(config["CAPTURE_MAX_COUNT"], config["CAPTURE_MAX_DAYS"])
    click.echo(f"Added {added} of {seen} logged captures; the rest were already stored.")


devices_group = AppGroup("devices", help="Manage the user-device links.")


@devices_group.command("prune")
@click.option(
    "--days", type=click.IntRange(min=1), required=True, help="Unseen for this many days."
)
def devices_prune(days: int) -> None:
    """Remove links between users and devices not seen for DAYS days."""
    from .devices.service import prune_links

    removed = prune_links(days)
    click.echo(f"Removed {removed} device links not seen for {days} days.")


@click.command("worker")
def worker() -> None:
    """Run queued background jobs (the delayed order push) until stopped."""
    from flask import current_app

    from .jobs import run_forever

    click.echo("Job runner started; Ctrl+C stops it.")
    run_forever(current_app._get_current_object())


push_group = AppGroup("push", help="Send pushes from the command line.")


@push_group.command("inactive")
@click.option(
    "--days", type=click.IntRange(min=1), required=True, help="Not seen for this many days."
)
@click.option("--dry-run", is_flag=True, help="Only list who would get the push.")
@click.option("--title", default="We miss you", show_default=True)
@click.option("--message", default="Come back and see what is new.", show_default=True)
def push_inactive(days: int, dry_run: bool, title: str, message: str) -> None:
    """Re-engage users not seen for DAYS days: list them, and push unless --dry-run."""
    import datetime as dt

    from flask import current_app

    from .links import site_url
    from .models import utcnow
    from .push.service import send_to

    cutoff = utcnow() - dt.timedelta(days=days)
    seen = sa.func.coalesce(User.last_seen_at, User.created_at)
    users = db.session.scalars(sa.select(User).where(seen < cutoff).order_by(User.id)).all()
    if not users:
        click.echo(f"Nobody has been away for {days} days.")
        return
    target = current_app.config["PUSH_TARGET"]
    for user in users:
        last = (user.last_seen_at or user.created_at).strftime("%Y-%m-%d")
        if dry_run:
            click.echo(f"would push\t{user.email}\tlast seen {last}")
            continue
        results = send_to(user, target, title=title, message=message, kind="re-engagement",
                          page=site_url("main.index"), data={"kind": "re-engagement"})  # fmt: skip
        click.echo(f"{results[0].outcome}\t{user.email}\t{results[0].summary}")
    verb = "would get" if dry_run else "got"
    click.echo(f"{len(users)} users {verb} the push.")


def init_app(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(captures)
    app.cli.add_command(devices_group)
    app.cli.add_command(worker)
    app.cli.add_command(push_group)
