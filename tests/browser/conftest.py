"""The web app in a real browser: Debian's Chromium (`/usr/bin/chromium`, installed by `scripts/bootstrap.sh
--cdk`, which the test command runs; never a browser Playwright downloads), driven headless by Playwright for
Python, against the local runtime (started as the e2e tests start it) on a manual clock."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from parley.shared import clock, ids
from parley.store import ChannelRecord
from parley.team import tokens
from tests.e2e.test_publish_flow import start_runtime

CHROMIUM = Path("/usr/bin/chromium")
ZONE = "Europe/Berlin"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class WebApp:
    url: str  # the local runtime's printed URL: `/` opens the app
    clock: clock.ManualClock
    admin: tokens.IssuedToken
    channel_id: str

    def queue(self, text: str, publish_at: datetime) -> str:
        answer = requests.post(
            f"{self.url}/posts",
            json={"text": text, "channels": [self.channel_id], "publish_at": publish_at.isoformat()},
            headers={"Authorization": f"Bearer {self.admin.token}", "Idempotency-Key": uuid.uuid4().hex},
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    def week_of(self, at: datetime) -> str:
        """The calendar's address for the week holding `at` (in the channel's zone: the workspace's)."""
        return f"{self.url}/app/calendar?date={at.astimezone(ZoneInfo(ZONE)).date().isoformat()}"


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebApp]:
    """The local runtime with a workspace, its admin and a Bluesky channel (stored as connected: queueing and the
    calendar need no network; nothing is published, the clock stands still)."""
    manual = clock.ManualClock(datetime.now(UTC).replace(microsecond=0))
    runtime = start_runtime(tmp_path_factory.mktemp("web") / "state", manual)
    try:
        admin = tokens.create_workspace("Acme", "Ada")
        channel_id = "ch_" + ids.new_id()
        ChannelRecord(
            admin.workspace_id,
            channel_id,
            network="bluesky",
            handle="acme.test",
            remote_id="did:plc:acme",
            service_url="http://127.0.0.1:1",
            credential_parameter="/parley/test/credential",
            created_at=clock.now(),
            created_by=admin.member_id,
            time_zone=ZONE,
        ).save()
        yield WebApp(runtime.api_url, manual, admin, channel_id)
    finally:
        runtime.stop(save=False)


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    if not CHROMIUM.exists():
        message = "Debian's chromium is missing: scripts/bootstrap.sh --cdk (run by scripts/test) installs it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: object) -> Iterator[object]:
    """A fresh browser profile (no cookies) at 390 px wide, the narrowest the app is made for."""
    from playwright.sync_api import Browser

    assert isinstance(chromium, Browser)
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()
