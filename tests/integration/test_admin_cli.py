"""`parley admin ...` against moto's DynamoDB: workspaces, members and tokens."""

from __future__ import annotations

import re

from click.testing import CliRunner

from parley.cli import main
from parley.shared.errors import Unauthenticated
from parley.team import members, tokens


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["admin", *args])
    return result.exit_code, result.output


def printed(output: str, label: str) -> str:
    match = re.search(rf"{label}:\s+(\S+)", output)
    assert match, output
    return match.group(1)


def test_create_workspace_prints_a_working_admin_token_once(aws: str) -> None:
    code, output = run("create-workspace", "--name", "Acme", "--admin", "Ada")
    assert code == 0, output
    principal = tokens.authenticate("Bearer " + printed(output, "token"))
    assert principal.role == members.Role.ADMIN and principal.workspace_id == printed(output, "workspace")


def test_members_get_tokens_with_their_role_and_tokens_can_be_revoked(aws: str) -> None:
    _, output = run("create-workspace", "--name", "Acme", "--admin", "Ada")
    workspace = printed(output, "workspace")

    code, output = run("add-member", "--workspace", workspace, "--name", "Vi", "--role", "viewer")
    assert code == 0, output
    token, token_id, member = printed(output, "token"), printed(output, "token id"), printed(output, "member")
    assert tokens.authenticate(f"Bearer {token}").role == members.Role.VIEWER

    code, output = run("create-token", "--workspace", workspace, "--member", member, "--label", "CI")
    assert code == 0 and tokens.authenticate("Bearer " + printed(output, "token")).member_id == member

    code, output = run("revoke-token", token_id)
    assert code == 0, output
    try:
        tokens.authenticate(f"Bearer {token}")
    except Unauthenticated:
        pass
    else:
        raise AssertionError("a revoked token still works")


def test_unknown_workspace_or_token_is_a_clear_error(aws: str) -> None:
    code, output = run("add-member", "--workspace", "ws_nope", "--name", "X")
    assert code != 0 and "no workspace ws_nope" in output
    code, output = run("revoke-token", "tok_nope")
    assert code != 0 and "no token tok_nope" in output
