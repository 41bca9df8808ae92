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


def init_app(app: Flask) -> None:
    app.cli.add_command(users)
