"""`parley`: the command line. `parley admin ...` creates workspaces and member tokens; `parley posts import`
imports a CSV of posts through the HTTP API (PARLEY_URL and PARLEY_TOKEN).

It talks to DynamoDB with the caller's AWS credentials. Table names come from the environment
(`PARLEY_TABLE_*`, as the local runtime prints them) or, for a deployed stack, from its outputs
(`--stack parley`).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any

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


@admin.command("login-link")
@click.option("--member", required=True, help="The member (mem_...) the link signs in.")
@click.option("--workspace", default=None, help="The member's workspace (default: found from the member's tokens).")
@click.option("--url", "base_url", default=None, help="The web app's address (default: PARLEY_PUBLIC_BASE_URL).")
def login_link(member: str, workspace: str | None, base_url: str | None) -> None:
    """Print a one-time link that signs a member in to the web app (single use, for 15 minutes)."""
    from parley.shared.errors import NotFound
    from parley.team import sessions

    try:
        issued = sessions.issue_link(workspace or sessions.workspace_of(member), member)
    except NotFound as exc:
        raise click.ClickException(str(exc)) from exc
    url = f"{base_url.rstrip('/')}{sessions.LINK_PATH}?code={issued.code}" if base_url else issued.url
    if url.startswith("/"):
        click.echo("PARLEY_PUBLIC_BASE_URL is not set: put the web app's address before this (or use --url).", err=True)
    click.echo(url)
    click.echo(f"Signs {member} in once, until {issued.expires_at:%Y-%m-%d %H:%M} UTC.", err=True)


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


class Api:
    """The HTTP API with a member's token; retries what is safe to retry (a dry run, a keyed import)."""

    def __init__(self, url: str, token: str, session: Any = None) -> None:
        import requests

        self.url = url.rstrip("/")
        self.token = token
        self.session = session or requests.Session()

    def call(self, method: str, path: str, *, body: bytes | None = None, key: str | None = None) -> tuple[int, Any]:
        import requests

        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "text/csv; charset=utf-8"}
        if key:
            headers["Idempotency-Key"] = key
        for attempt in range(4):
            try:
                answer = self.session.request(method, self.url + path, data=body, headers=headers, timeout=60)
            except requests.RequestException as exc:
                if attempt == 3:
                    raise click.ClickException(f"{self.url} cannot be reached: {exc}") from exc
            else:
                if answer.status_code not in (409, 429, 502, 503, 504) or attempt == 3 or method != "POST":
                    return answer.status_code, _json(answer)
            time.sleep(2**attempt)  # safe to repeat: a dry run stores nothing, a keyed import answers once
        raise AssertionError("unreachable")


def _json(answer: Any) -> Any:
    try:
        return answer.json() if answer.content else None
    except ValueError:  # not parley's answer (a proxy's error page): its start, to show
        return {"detail": answer.text[:200]}


@dataclass
class _Report:
    created: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def _in_file(items: list[dict[str, Any]], part: Any) -> list[dict[str, Any]]:
    """A part's lines as the file's."""
    lines = part.lines
    return [item | {"line": lines.get(int(item.get("line") or 0), item.get("line"))} for item in items]


def _refusal(status: int, body: Any) -> str:
    detail = body.get("detail", "") if isinstance(body, dict) else str(body)
    return f"{status}: {detail}"


def _show_errors(errors: list[dict[str, Any]]) -> None:
    if not errors:
        return
    width = max(len(str(e.get("column") or "")) for e in [*errors, {"column": "column"}])
    click.echo(f"{'line':>5}  {'column':<{width}}  reason", err=True)
    for error in sorted(errors, key=lambda e: int(e.get("line") or 0)):
        click.echo(f"{error.get('line') or '':>5}  {error.get('column') or '':<{width}}  {error['reason']}", err=True)


def run_import(api: Api, data: bytes, *, dry_run: bool, partial: bool, part_size: int) -> bool:
    """Check the file, then import it part by part (one idempotency key per part, from the file's hash: running
    the command again after a failure creates nothing twice). All or nothing: a part refused while writing
    cancels the parts written before it. True when every row went through."""
    import hashlib

    from parley.publishing import csv_rows
    from parley.shared.errors import ValidationFailed

    try:
        parts = csv_rows.parts(data, part_size)
    except ValidationFailed as exc:
        _show_errors([{"line": 1, "column": p.field, "reason": p.reason} for p in exc.problems])
        raise click.ClickException("the file cannot be imported") from exc
    total = sum(len(p.rows) for p in parts)
    report = _Report()
    if dry_run or not partial:  # every row checked before any is written
        with click.progressbar(length=total, label="Checking ", file=sys.stderr) as bar:
            for part in parts:
                status, body = api.call("POST", "/posts/import?dry_run=true", body=part.body)
                if status != 200:
                    _show_errors(_in_file((body or {}).get("errors", []), part))
                    raise click.ClickException(f"the file was refused ({_refusal(status, body)})")
                report.errors += _in_file(body["errors"], part)
                bar.update(len(part.rows))
        if dry_run or report.errors:
            _show_errors(report.errors)
            refused = len({e["line"] for e in report.errors})
            verb = "would be imported" if dry_run else "valid; nothing was imported"
            click.echo(f"{total - refused} of {total} rows {verb}.")
            return not report.errors
    digest = hashlib.sha256(data + (b"partial" if partial else b"")).hexdigest()[:32]
    query = "/posts/import?partial=true" if partial else "/posts/import"
    queue = list(parts)
    with click.progressbar(length=total, label="Importing", file=sys.stderr) as bar:
        while queue:
            part = queue.pop(0)
            key = f"{digest}-{part.rows[0][0]}-{len(part.rows)}"
            status, body = api.call("POST", query, body=part.body, key=key)
            if status == 413 and len(part.rows) > 1:
                queue[:0] = part.halves()  # too slow for one request: smaller parts
                continue
            if status == 201:
                report.created += _in_file(body["created"], part)
                report.errors += _in_file(body["errors"], part)
            else:
                errors = _in_file((body or {}).get("errors", []), part)
                report.errors += errors or [{"line": part.rows[0][0], "column": "", "reason": _refusal(status, body)}]
                if not partial:
                    return _undo(api, report)
            bar.update(len(part.rows))
    _show_errors(report.errors)
    click.echo(f"Imported {len(report.created)} of {total} rows.")
    return not report.errors


def _undo(api: Api, report: _Report) -> bool:
    """All or nothing: the posts the earlier parts created are cancelled (DELETE /posts/{id})."""
    kept = [c["post_id"] for c in report.created if api.call("DELETE", f"/posts/{c['post_id']}")[0] not in (200, 404)]
    _show_errors(report.errors)
    cancelled = len(report.created) - len(kept)
    click.echo(f"Nothing was imported: {cancelled} post(s) written before the refusal were cancelled.")
    if kept:
        click.echo(f"These could not be cancelled (they may have gone out): {', '.join(kept)}", err=True)
    return False


# ---- posts, through the HTTP API --------------------------------------------------------------


@main.group()
def posts() -> None:
    """Posts, through the HTTP API with a member's token."""


@posts.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row and say what is wrong; store nothing.")
@click.option("--partial", is_flag=True, help="Import the good rows and report the others (default: all or none).")
@click.option("--part-size", default=100, show_default=True, help="Rows per request (halved if a part is too slow).")
@click.option(
    "--url",
    envvar=["PARLEY_URL", "PARLEY"],
    required=True,
    help="The API (env PARLEY_URL, or PARLEY as in the README).",
)
@click.option(
    "--token", envvar=["PARLEY_TOKEN", "TOKEN"], required=True, help="A member token (env PARLEY_TOKEN, or TOKEN)."
)
def import_posts(file: str, dry_run: bool, partial: bool, part_size: int, url: str, token: str) -> None:
    """Import posts from a CSV file (docs/import.md): columns text, channels, publish_at, time_zone, media_urls,
    alt_texts, link, utm_campaign. Exits 1 if any line is refused."""
    from pathlib import Path

    ok = run_import(
        Api(url, token), Path(file).read_bytes(), dry_run=dry_run, partial=partial, part_size=max(1, part_size)
    )
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    sys.exit(main())
