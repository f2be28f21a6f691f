"""Make the local network's demo accounts react to the brand's newest post, so anyone can watch
listening work: a reply, a reply to that reply, a like, a repost and a mention of the brand.

Run (with scripts/run going): .venv/bin/python -m infra.local.audience [--post AT_URI] [--mood happy|angry]
Within the poll cadence (2 minutes for a fresh post) they are in GET /inbox.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from infra.local.__main__ import BLUESKY_PORTS, DEMO_ACCOUNTS

POST = "app.bsky.feed.post"
PDS_URL = f"http://127.0.0.1:{BLUESKY_PORTS['pds_port']}"
LINES = {
    "happy": ("Love this, great work!", "Agreed, really excited about it", "is doing great things today"),
    "angry": ("This is broken and awful", "Same here, terrible experience", "why is everything broken?"),
}


@dataclass(frozen=True)
class Ref:
    uri: str
    cid: str

    def strong(self) -> dict[str, str]:
        return {"uri": self.uri, "cid": self.cid}


class Person:
    """One account writing to its PDS, as any Bluesky client would."""

    def __init__(self, pds_url: str, handle: str, password: str) -> None:
        self.pds_url = pds_url
        answer = requests.post(
            f"{pds_url}/xrpc/com.atproto.server.createSession",
            json={"identifier": handle, "password": password},
            timeout=10,
        )
        answer.raise_for_status()
        self.did, self.handle = answer.json()["did"], answer.json()["handle"]
        self._token = answer.json()["accessJwt"]

    def create(self, collection: str, record: dict[str, Any]) -> Ref:
        answer = requests.post(
            f"{self.pds_url}/xrpc/com.atproto.repo.createRecord",
            json={"repo": self.did, "collection": collection, "record": {"$type": collection, **record}},
            headers={"Authorization": f"Bearer {self._token}"},
            timeout=10,
        )
        answer.raise_for_status()
        return Ref(answer.json()["uri"], answer.json()["cid"])

    def post(self, text: str, reply_to: Ref | None = None, root: Ref | None = None, mention: str = "") -> Ref:
        """`mention`: the DID of the account that `@handle` in `text` names (a facet makes it a mention)."""
        record: dict[str, Any] = {"text": text, "createdAt": _now()}
        if reply_to is not None:
            record["reply"] = {"root": (root or reply_to).strong(), "parent": reply_to.strong()}
        if mention:
            at = text.index("@")
            start = len(text[:at].encode())
            end = start + len(text[at:].split(" ", 1)[0].encode())
            feature = {"$type": "app.bsky.richtext.facet#mention", "did": mention}
            record["facets"] = [{"index": {"byteStart": start, "byteEnd": end}, "features": [feature]}]
        return self.create(POST, record)

    def like(self, subject: Ref) -> Ref:
        return self.create("app.bsky.feed.like", {"subject": subject.strong(), "createdAt": _now()})

    def repost(self, subject: Ref) -> Ref:
        return self.create("app.bsky.feed.repost", {"subject": subject.strong(), "createdAt": _now()})


def newest_post(pds_url: str, handle: str) -> Ref:
    did = requests.get(
        f"{pds_url}/xrpc/com.atproto.identity.resolveHandle", params={"handle": handle}, timeout=10
    ).json()["did"]
    records = requests.get(
        f"{pds_url}/xrpc/com.atproto.repo.listRecords",
        params={"repo": did, "collection": POST, "limit": "1"},
        timeout=10,
    ).json()["records"]
    if not records:
        raise SystemExit(f"{handle} has not posted anything yet: queue a post first")
    return Ref(records[0]["uri"], records[0]["cid"])


def post_ref(pds_url: str, uri: str) -> Ref:
    repo, _, rkey = uri.removeprefix("at://").split("/")
    answer = requests.get(
        f"{pds_url}/xrpc/com.atproto.repo.getRecord",
        params={"repo": repo, "collection": POST, "rkey": rkey},
        timeout=10,
    )
    answer.raise_for_status()
    return Ref(uri, answer.json()["cid"])


def react(root: Ref, brand: Person | str, first: Person, second: Person, mood: str = "happy") -> dict[str, Ref]:
    """The audience's reactions to `root`; returns what was created, by kind."""
    brand_handle = brand.handle if isinstance(brand, Person) else brand
    brand_did = brand.did if isinstance(brand, Person) else _resolve(first.pds_url, brand)
    reply_text, nested_text, mention_text = LINES[mood]
    reply = first.post(reply_text, reply_to=root)
    nested = second.post(nested_text, reply_to=reply, root=root)
    return {
        "reply": reply,
        "nested_reply": nested,
        "like": second.like(root),
        "repost": first.repost(root),
        "mention": first.post(f"@{brand_handle} {mention_text}", mention=brand_did),
    }


def _resolve(pds_url: str, handle: str) -> str:
    answer = requests.get(f"{pds_url}/xrpc/com.atproto.identity.resolveHandle", params={"handle": handle}, timeout=10)
    answer.raise_for_status()
    return str(answer.json()["did"])


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--post", help="at:// URI of the post to react to (default: the brand's newest)")
    parser.add_argument("--mood", choices=sorted(LINES), default="happy")
    parser.add_argument("--pds", default=PDS_URL)
    args = parser.parse_args(argv)
    (brand_handle, _), *people = DEMO_ACCOUNTS
    root = post_ref(args.pds, args.post) if args.post else newest_post(args.pds, brand_handle)
    first, second = (Person(args.pds, handle, password) for handle, password in people[:2])
    made = react(root, brand_handle, first, second, args.mood)
    for kind, ref in made.items():
        print(f"{kind:<13} {ref.uri}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
