"""`parley`: the command line. `parley admin ...` creates workspaces and member tokens.

It talks to DynamoDB with the caller's AWS credentials. Table names come from the environment
(`PARLEY_TABLE_*`, as the local runtime prints them) or, for a deployed stack, from its outputs
(`--stack parley`).
"""

from __future__ import annotations

import os
import sys

import click

from parley.shared.names import Env


def output_key(env: Env) -> str:
    """The CloudFormation output that carries an env var's value (the CDK app writes them)."""
    return env.value.replace("_", "")


def _load_stack_outputs(stack: str) -> None:
    import boto3

    outputs = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    by_key = {o["OutputKey"]: o["OutputValue"] for o in outputs}
    for env in Env:
        if output_key(env) in by_key:
            os.environ[env.value] = by_key[output_key(env)]


def _bind(stack: str | None) -> None:
    from parley import store
    from parley.shared.config import get_settings

    if stack:
        _load_stack_outputs(stack)
    get_settings.cache_clear()
    store.bind()


@click.group()
def main() -> None:
    """parley: queue posts, publish them on time exactly once, listen to what comes back."""


@main.group()
@click.option("--stack", default=None, help="Read table names from this CloudFormation stack's outputs.")
@click.pass_context
def admin(ctx: click.Context, stack: str | None) -> None:
    """Workspaces, members, tokens and network apps (needs AWS credentials, or the local runtime's environment)."""
    _bind(stack)


def _print_token(issued: object, what: str) -> None:
    from parley.team.tokens import IssuedToken

    assert isinstance(issued, IssuedToken)
    click.echo(f"{what}")
    click.echo(f"  workspace: {issued.workspace_id}")
    click.echo(f"  member:    {issued.member_id} ({issued.role.value})")
    click.echo(f"  token id:  {issued.token_id}  (to revoke it)")
    click.echo(f"  token:     {issued.token}")
    click.echo("The token is shown once; keep it somewhere safe.", err=True)


@admin.command("create-workspace")
@click.option("--name", required=True, help="The brand or team.")
@click.option("--admin", "admin_name", required=True, help="The first admin's name.")
def create_workspace(name: str, admin_name: str) -> None:
    """Create a workspace and its first admin token."""
    from parley.team import tokens

    _print_token(tokens.create_workspace(name, admin_name), f"Created workspace {name!r}.")


@admin.command("add-member")
@click.option("--workspace", required=True)
@click.option("--name", required=True)
@click.option(
    "--role", type=click.Choice(["admin", "editor", "contributor", "viewer"]), default="editor", show_default=True
)
def add_member(workspace: str, name: str, role: str) -> None:
    """Add a member to a workspace and issue their first token."""
    from parley.shared.errors import NotFound
    from parley.team import members, tokens

    try:
        issued = tokens.add_member(workspace, name, members.Role(role))
    except NotFound as exc:
        raise click.ClickException(str(exc)) from exc
    _print_token(issued, f"Added {name!r} as {role}.")


@admin.command("create-token")
@click.option("--workspace", required=True)
@click.option("--member", required=True)
@click.option("--label", default=None, help="What the token is for, e.g. 'CI'.")
def create_token(workspace: str, member: str, label: str | None) -> None:
    """Issue another token for an existing member."""
    from parley.shared.errors import NotFound
    from parley.team import tokens

    try:
        issued = tokens.issue_token(workspace, member, label)
    except NotFound as exc:
        raise click.ClickException(str(exc)) from exc
    _print_token(issued, "Issued a token.")


@admin.command("revoke-token")
@click.argument("token_id")
def revoke_token(token_id: str) -> None:
    """Revoke a token by its id (tok_...); it stops working at once."""
    from parley.shared.errors import NotFound
    from parley.team import tokens

    try:
        tokens.revoke_token(token_id)
    except NotFound as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Revoked {token_id}.")


@admin.command("set-app")
@click.argument("network", type=click.Choice(["x", "linkedin", "facebook", "instagram", "threads"]))
@click.option("--client-id", required=True, help="The OAuth 2.0 client id (app id) of parley's app on the network.")
@click.option(
    "--api-base",
    default=None,
    help="The network's API (default its own, e.g. https://api.x.com; a stand-in for tests).",
)
@click.option("--authorize-url", default=None, help="The network's consent page (default its own).")
def set_app(network: str, client_id: str, api_base: str | None, authorize_url: str | None) -> None:
    """Store parley's X app (client id; the client secret is read from stdin or a hidden prompt, never from
    the command line; empty for a public client) as an SSM SecureString parameter."""
    from parley.connect import x_app
    from parley.shared.config import get_settings

    if network != "x":
        _set_oauth_app(network, client_id, api_base, authorize_url)
        return
    secret = click.prompt(
        "Client secret (empty for a public client)", default="", hide_input=True, show_default=False
    ).strip()
    app = x_app.XApp(
        client_id=client_id.strip(),
        client_secret=secret or None,
        api_base=(api_base or x_app.API_BASE).rstrip("/"),
        authorize_url=authorize_url or x_app.AUTHORIZE_URL,
    )
    name = x_app.save_app(get_settings().parameter_prefix, app)
    kind = "confidential" if app.client_secret else "public"
    click.echo(f"Saved parley's X app ({kind} client {app.client_id}) in {name}.")


def _set_oauth_app(network: str, client_id: str, api_base: str | None, authorize_url: str | None) -> None:
    """LinkedIn, Facebook, Instagram, Threads (parley.connect.apps): a confidential client, the secret required."""
    from parley.connect import apps
    from parley.shared.config import get_settings

    secret = click.prompt("Client secret (app secret)", hide_input=True).strip()
    if not secret:
        raise click.ClickException(f"{network}'s app needs its client secret")
    urls = {k: v.rstrip("/") for k, v in (("api", api_base), ("authorize", authorize_url)) if v}
    name = apps.save_app(get_settings().parameter_prefix, apps.OAuthApp(network, client_id.strip(), secret, urls))
    click.echo(f"Saved parley's {network} app (client {client_id.strip()}) in {name}.")


if __name__ == "__main__":
    sys.exit(main())
