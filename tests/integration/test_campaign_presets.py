"""Campaign presets are one item each (issue 15 item 11): as many as a workspace likes, listed a page at a time,
and those an older parley kept in the workspace's item are still found, then moved."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

from parley.store import CampaignRecord, LinkRecord, WorkspaceRecord
from tests.integration.test_api_posts import Workspace, draft, make_workspace
from tests.integration.test_metrics import codes_in


def full_preset(n: int) -> dict[str, str]:
    """As large as a preset gets: 10 parameters of 200 characters (about 4 KB)."""
    return {f"utm_p{k}": f"{n:03d}-{k}-" + "v" * 194 for k in range(10)}


def listed(ws: Workspace, **params: str) -> dict[str, object]:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    answer = ws.viewer.call("GET", f"/campaigns?{query}" if query else "/campaigns")
    assert answer.status == 200, answer.body
    body: dict[str, object] = answer.body
    return body


def target_of_a_post_in(ws: Workspace, campaign: str) -> dict[str, list[str]]:
    post = ws.editor.call("POST", "/posts", draft(ws, text="See https://example.com/p", campaign=campaign))
    assert post.status == 201, post.body
    (code,) = codes_in(post.body["deliveries"][0]["text"])
    return parse_qs(urlsplit(LinkRecord.get(code).target or "").query)


def test_two_hundred_full_presets_are_stored_and_listed_a_page_at_a_time(aws: str, short_links_on: None) -> None:
    # issue 15 item 11: one map in the workspace's item; about 95 full presets reached DynamoDB's 400 KB
    ws = make_workspace()
    for n in range(200):
        answer = ws.editor.call("PUT", f"/campaigns/launch-{n:03d}", {"utm": full_preset(n)})
        assert answer.status == 200, (n, answer.body)

    first = listed(ws)
    assert isinstance(first["items"], list) and isinstance(first["next_cursor"], str)
    second = listed(ws, cursor=first["next_cursor"])
    assert isinstance(second["items"], list) and second["next_cursor"] is None
    items = first["items"] + second["items"]
    assert [i["campaign"] for i in items] == [f"launch-{n:03d}" for n in range(200)]
    assert all(i["utm"] == full_preset(n) for n, i in enumerate(items))
    assert len(listed(ws, limit="7")["items"]) == 7  # type: ignore[arg-type]

    assert target_of_a_post_in(ws, "launch-150")["utm_p3"] == [full_preset(150)["utm_p3"]]
    other = make_workspace("Other")
    assert listed(other) == {"items": [], "next_cursor": None}
    refused = other.viewer.call("GET", f"/campaigns?cursor={first['next_cursor']}")  # another workspace's
    assert refused.status == 400 and refused.body["errors"][0]["field"] == "cursor"


def test_presets_an_older_parley_kept_in_the_workspace_item_are_found_then_moved_to_items(
    aws: str, short_links_on: None
) -> None:
    ws = make_workspace()
    old = {"spring": {"utm_content": "banner"}, "autumn": {"utm_term": "boots"}, "winter": {"utm_content": "old"}}
    WorkspaceRecord.get(ws.id).update(actions=[WorkspaceRecord.campaigns.set(old)])
    # Set since in its own item (as a newer parley did, side by side with an older one): it wins over the map.
    CampaignRecord(ws.id, "winter", utm={"utm_content": "new"}, updated_at=WorkspaceRecord.get(ws.id).created_at).save()

    # Not moved yet: a queued post still finds its campaign's preset in the map.
    assert target_of_a_post_in(ws, "spring")["utm_content"] == ["banner"]
    assert WorkspaceRecord.get(ws.id).campaigns is not None

    assert listed(ws) == {
        "items": [
            {"campaign": "autumn", "utm": {"utm_term": "boots"}},
            {"campaign": "spring", "utm": {"utm_content": "banner"}},
            {"campaign": "winter", "utm": {"utm_content": "new"}},
        ],
        "next_cursor": None,
    }
    assert WorkspaceRecord.get(ws.id, consistent_read=True).campaigns is None  # moved: the map is gone
    assert {r.campaign for r in CampaignRecord.query(ws.id)} == {"autumn", "spring", "winter"}
    assert target_of_a_post_in(ws, "autumn")["utm_term"] == ["boots"]

    changed = ws.editor.call("PUT", "/campaigns/spring", {"utm": {"utm_content": "hero"}})
    assert changed.status == 200, changed.body
    assert target_of_a_post_in(ws, "spring")["utm_content"] == ["hero"]
    assert len(listed(ws)["items"]) == 3  # type: ignore[arg-type]


def test_setting_a_preset_moves_the_older_map_first_so_it_does_not_win_afterwards(
    aws: str, short_links_on: None
) -> None:
    ws = make_workspace()
    WorkspaceRecord.get(ws.id).update(
        actions=[WorkspaceRecord.campaigns.set({"spring": {"utm_content": "banner"}, "summer": {"utm_term": "sun"}})]
    )
    assert ws.editor.call("PUT", "/campaigns/spring", {"utm": {"utm_content": "hero"}}).status == 200
    assert WorkspaceRecord.get(ws.id, consistent_read=True).campaigns is None
    assert [(i["campaign"], i["utm"]) for i in listed(ws)["items"]] == [  # type: ignore[attr-defined]
        ("spring", {"utm_content": "hero"}),
        ("summer", {"utm_term": "sun"}),
    ]
    key = json.dumps({"workspace_id": {"S": ws.id}, "campaign": {"N": "1"}}).encode()
    forged = base64.urlsafe_b64encode(b"\0" * 32 + key).decode().rstrip("=")  # a made-up signature
    assert ws.viewer.call("GET", f"/campaigns?cursor={forged}").status == 400
