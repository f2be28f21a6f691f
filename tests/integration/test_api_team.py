"""The team over the API: members invited, their roles changed and removed, their tokens made, listed and
revoked; every route checks the role and a 403 names the one it needs (moto behind the API: real PynamoDB)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import boto3
import pytest

from parley.shared import clock
from parley.shared.errors import Conflict
from parley.store import MemberRecord, TokenRecord, WorkspaceRecord, create_tables
from parley.team import members, tokens
from tests.integration.test_api_posts import Workspace, make_workspace
from tests.support.api import ApiClient


@pytest.fixture
def ws(aws: str) -> Workspace:
    return make_workspace()


def invite(ws: Workspace, role: str, name: str = "Cy") -> tuple[str, ApiClient]:
    answer = ws.admin.call("POST", "/members", {"name": name, "role": role, "token_label": "laptop"})
    assert answer.status == 201, answer.body
    return answer.body["id"], ApiClient(answer.body["token"]["secret"])


def test_an_invited_member_gets_a_token_once_and_acts_with_their_role(ws: Workspace) -> None:
    answer = ws.admin.call("POST", "/members", {"name": "Cy", "role": "contributor", "token_label": "laptop"})
    assert answer.status == 201, answer.body
    token = answer.body["token"]
    assert answer.body["role"] == "contributor" and token["label"] == "laptop"
    assert token["secret"].startswith(token["prefix"]) and len(token["prefix"]) < len(token["secret"]) / 4
    cy = ApiClient(token["secret"])
    me = cy.call("GET", "/me")
    assert me.status == 200 and me.body["id"] == answer.body["id"] and me.body["workspace"]["id"] == ws.id
    # a contributor prepares (media, posts that wait for an editor's approval) but does not publish
    media = cy.call("POST", "/media", {"content_type": "image/png", "size": 100, "alt": "A shop"})
    assert media.status == 201, media.body
    when = (clock.now() + timedelta(days=1)).isoformat()
    waiting = cy.call("POST", "/posts", {"text": "Hi", "channels": [ws.channel_id], "publish_at": when})
    assert waiting.status == 201 and waiting.body["status"] == "pending_approval", waiting.body
    refused = cy.call("POST", f"/posts/{waiting.body['id']}/approve")
    assert refused.status == 403, refused.body
    assert refused.body["needed_role"] == "editor" and refused.body["role"] == "contributor"
    assert "editor" in refused.body["detail"]


def test_only_an_admin_invites_and_a_refusal_writes_nothing(ws: Workspace) -> None:
    before = ws.admin.call("GET", "/members").body["items"]
    refused = ws.editor.call("POST", "/members", {"name": "Cy", "role": "admin"})
    assert refused.status == 403 and refused.body["needed_role"] == "admin"
    bad = ws.admin.call("POST", "/members", {"name": "Cy", "role": "owner"})
    assert bad.status == 422 and bad.body["errors"][0]["field"] == "role"
    assert ws.admin.call("POST", "/members", {"name": "", "role": "viewer"}).status == 422
    assert ws.viewer.call("GET", "/members").body["items"] == before
    assert [m["name"] for m in before] == ["Ada", "Ed", "Vi"]


def test_a_role_change_holds_at_the_next_request(ws: Workspace) -> None:
    vi = next(m for m in ws.admin.call("GET", "/members").body["items"] if m["name"] == "Vi")
    assert ws.viewer.call("PATCH", f"/channels/{ws.channel_id}", {"time_zone": "UTC"}).status == 403
    promoted = ws.admin.call("PATCH", f"/members/{vi['id']}", {"role": "editor"})
    assert promoted.status == 200 and promoted.body["role"] == "editor"
    assert ws.viewer.call("PATCH", f"/channels/{ws.channel_id}", {"time_zone": "UTC"}).status == 200
    renamed = ws.admin.call("PATCH", f"/members/{vi['id']}", {"name": "Violet", "role": "viewer"})
    assert renamed.body["name"] == "Violet" and renamed.body["role"] == "viewer"
    assert ws.viewer.call("PATCH", f"/channels/{ws.channel_id}", {"time_zone": "UTC"}).status == 403
    assert ws.admin.call("PATCH", f"/members/{vi['id']}", {}).status == 422
    assert ws.editor.call("PATCH", f"/members/{vi['id']}", {"role": "admin"}).status == 403


def test_the_last_admin_can_be_neither_demoted_nor_removed(ws: Workspace) -> None:
    ada = ws.admin.call("GET", "/me").body["id"]
    demoted = ws.admin.call("PATCH", f"/members/{ada}", {"role": "editor"})
    assert demoted.status == 409 and "at least one admin" in demoted.body["detail"]
    assert ws.admin.call("DELETE", f"/members/{ada}").status == 409
    bea, bea_client = invite(ws, "admin", "Bea")
    assert ws.admin.call("PATCH", f"/members/{ada}", {"role": "editor"}).status == 200
    assert bea_client.call("DELETE", f"/members/{bea}").status == 409  # Bea is now the only admin
    assert WorkspaceRecord.get(ws.id).admin_count == 1


def test_two_admins_demoting_each_other_at_once_leave_one_admin(ws: Workspace) -> None:
    ada = ws.admin.call("GET", "/me").body["id"]
    bea, _ = invite(ws, "admin", "Bea")
    principals = {m: members.Principal(ws.id, m, members.Role.ADMIN) for m in (ada, bea)}

    def demote(pair: tuple[str, str]) -> str:
        actor, target = pair
        try:
            members.change_member(principals[actor], target, name=None, role=members.Role.EDITOR)
        except Conflict:
            return "refused"
        return "done"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(demote, [(ada, bea), (bea, ada)]))
    assert outcomes == ["done", "refused"]
    assert [m.role for m in MemberRecord.query(ws.id)].count("admin") == 1


def test_tokens_are_listed_by_prefix_and_last_use_and_a_revoked_one_stops_at_once(ws: Workspace) -> None:
    cy, cy_client = invite(ws, "editor")
    assert cy_client.call("GET", "/me").status == 200  # a use
    made = cy_client.call("POST", f"/members/{cy}/tokens", {"label": "zapier"})
    assert made.status == 201 and made.body["secret"].startswith(made.body["prefix"])
    listed = cy_client.call("GET", f"/members/{cy}/tokens").body["items"]
    assert [t["label"] for t in listed] == ["laptop", "zapier"]
    assert listed[0]["last_used_at"] is not None and listed[1]["last_used_at"] is None
    assert all("secret" not in t and "token_hash" not in t for t in listed)
    # someone else's tokens: an admin's business only
    assert ws.editor.call("GET", f"/members/{cy}/tokens").status == 403
    assert ws.admin.call("GET", f"/members/{cy}/tokens").status == 200
    assert ws.editor.call("DELETE", f"/members/{cy}/tokens/{listed[0]['id']}").status == 403
    revoked = cy_client.call("DELETE", f"/members/{cy}/tokens/{listed[0]['id']}")
    assert revoked.status == 204
    assert cy_client.call("GET", "/me").status == 401
    assert ApiClient(made.body["secret"]).call("GET", "/me").status == 200
    assert ws.admin.call("DELETE", f"/members/{cy}/tokens/tok_nothing").status == 404


def test_a_removed_member_is_locked_out_at_once_and_gone(ws: Workspace) -> None:
    cy, cy_client = invite(ws, "editor")
    assert ws.editor.call("DELETE", f"/members/{cy}").status == 403
    assert ws.admin.call("DELETE", f"/members/{cy}").status == 204
    assert cy_client.call("GET", "/me").status == 401
    assert all(t.revoked_at is not None for t in TokenRecord.by_member.query(cy))
    assert ws.admin.call("GET", f"/members/{cy}").status == 404
    assert cy not in [m["id"] for m in ws.admin.call("GET", "/members").body["items"]]


def test_another_workspaces_members_and_tokens_are_404(ws: Workspace) -> None:
    cy, _ = invite(ws, "viewer")
    other = make_workspace("Other")
    assert other.admin.call("GET", f"/members/{cy}").status == 404
    assert other.admin.call("PATCH", f"/members/{cy}", {"role": "admin"}).status == 404
    assert other.admin.call("DELETE", f"/members/{cy}").status == 404
    assert other.admin.call("GET", f"/members/{cy}/tokens").status == 404


def test_a_workspace_made_before_admins_were_counted_is_counted_once(ws: Workspace) -> None:
    WorkspaceRecord(ws.id).update(actions=[WorkspaceRecord.admin_count.remove()])
    ada = ws.admin.call("GET", "/me").body["id"]
    assert ws.admin.call("PATCH", f"/members/{ada}", {"role": "editor"}).status == 409
    assert WorkspaceRecord.get(ws.id).admin_count == 1


def test_tables_saved_before_an_index_was_added_get_it(aws: str) -> None:
    dynamodb = boto3.client("dynamodb")
    table = TokenRecord.Meta.table_name
    dynamodb.delete_table(TableName=table)
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "token_hash", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "token_hash", "AttributeType": "S"},
            {"AttributeName": "token_id", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_token_id",
                "KeySchema": [{"AttributeName": "token_id", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    create_tables()
    described = dynamodb.describe_table(TableName=table)["Table"]
    assert {i["IndexName"] for i in described["GlobalSecondaryIndexes"]} == {"by_token_id", "by_member"}
    issued = tokens.create_workspace("Later", "Lu")
    assert [t.token_id for t in TokenRecord.by_member.query(issued.member_id)] == [issued.token_id]
