"""The demo workspace, its admin token and a connected channel, made once and kept in the state dir.

The local Bluesky network starts fresh on every run (its accounts get new DIDs), so the demo channel is
re-pointed at this run's account each time; the workspace, its token and its posts persist.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from parley.connect import channels, credentials
from parley.networks.base import Credential
from parley.shared.config import get_settings
from parley.shared.errors import Unauthenticated
from parley.store import ChannelRecord
from parley.team import members, tokens
from parley.team.members import Principal

DEMO_FILE = "demo.json"


@dataclass
class Demo:
    workspace_id: str
    member_id: str
    token: str
    channel_id: str | None = None


def _load(path: Path) -> Demo | None:
    if not path.exists():
        return None
    demo = Demo(**json.loads(path.read_text()))
    try:
        tokens.authenticate(f"Bearer {demo.token}")
    except Unauthenticated:
        return None  # the snapshot was removed: start over
    return demo


def _save(path: Path, demo: Demo) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(demo), indent=2))
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def ensure_demo(state_dir: Path, credential: Credential) -> Demo:
    """The demo workspace (created on the first run) with a channel for `credential`'s account."""
    path = state_dir / DEMO_FILE
    demo = _load(path)
    if demo is None:
        issued = tokens.create_workspace("Demo", "Demo admin")
        demo = Demo(issued.workspace_id, issued.member_id, issued.token)
    principal = Principal(demo.workspace_id, demo.member_id, members.Role.ADMIN)
    if demo.channel_id and _exists(demo.workspace_id, demo.channel_id):
        _repoint(demo.workspace_id, demo.channel_id, credential)
    else:
        channel, _ = channels.connect(principal, get_settings(), "bluesky", credential)
        demo.channel_id = channel.channel_id
    _save(path, demo)
    return demo


def _exists(workspace_id: str, channel_id: str) -> bool:
    try:
        ChannelRecord.get(workspace_id, channel_id)
    except ChannelRecord.DoesNotExist:
        return False
    return True


def _repoint(workspace_id: str, channel_id: str, credential: Credential) -> None:
    """Point an existing demo channel at this run's account (new DID, maybe a new port)."""
    from parley.connect.adapters import adapter_for

    account = adapter_for("bluesky", credential, channels.NoSessions()).verify(credential)
    record = ChannelRecord.get(workspace_id, channel_id)
    credentials.save_credential(record.credential_parameter, credential)
    credentials.delete_session(record.credential_parameter)
    record.update(
        actions=[
            ChannelRecord.remote_id.set(account.remote_id),
            ChannelRecord.handle.set(account.handle),
            ChannelRecord.service_url.set(credential.service_url),
            ChannelRecord.status.set("active"),
        ]
    )
