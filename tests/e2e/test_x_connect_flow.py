"""Connecting X and keeping it alive through the local runtime, as an operator and a marketer drive it: the
admin command stores parley's X app, the API (over HTTP) gives the consent link, the browser that opened it
(and only that one) comes back to the callback, and the firer fires the token refresh schedule on the
runtime's clock.

X's side: Prism serving X's own OpenAPI description (GET /2/users/me, POST /2/tweets), and recorded answers
for POST /2/oauth2/token, which that description does not have (tests/support/x_recorded.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from click.testing import CliRunner

from infra.local.runtime import LocalRuntime
from parley.cli import main
from parley.connect import credentials, upkeep
from parley.shared import clock
from parley.shared.names import SCHEDULE_LEAD_SECONDS
from parley.store import ChannelRecord
from parley.team import tokens
from tests.support import x_recorded as rec
from tests.support.peers import PrismX

pytestmark = pytest.mark.peers


@pytest.fixture
def runtime(tmp_path: Path, prism_x: PrismX) -> Iterator[tuple[LocalRuntime, clock.ManualClock]]:
    manual = clock.ManualClock(datetime.now(UTC).replace(microsecond=0))
    rt = LocalRuntime(tmp_path / "state", manual, firer_thread=False).start()
    try:
        yield rt, manual
    finally:
        rt.stop()


def test_an_x_account_is_connected_kept_alive_and_published_to(
    runtime: tuple[LocalRuntime, clock.ManualClock], prism_x: PrismX
) -> None:
    rt, manual = runtime
    setup = CliRunner().invoke(
        main, ["admin", "set-app", "x", "--client-id", "cid", "--api-base", prism_x.base_url], input="s3cret\n"
    )
    assert setup.exit_code == 0, setup.output
    token = tokens.create_workspace("Acme", "Ada").token
    bearer = {"Authorization": f"Bearer {token}"}

    with responses.RequestsMock(assert_all_requests_are_fired=False) as x:
        x.add_passthru(rt.api_url)
        x.add_passthru(prism_x.base_url + "/2/users/")
        x.add_passthru(prism_x.base_url + "/2/tweets")
        x.post(f"{prism_x.base_url}/2/oauth2/token", json=rec.AUTHORIZATION_CODE_TOKEN_200)

        # The marketer asks with curl (its cookie goes nowhere) and opens connect_url in their browser: the
        # front passes parley's Set-Cookie to the browser and the browser's Cookie back to the callback.
        started = requests.get(f"{rt.api_url}/channels/x/connect", headers=bearer, timeout=30).json()
        query = parse_qs(urlsplit(started["authorization_url"]).query)
        assert query["redirect_uri"] == [f"{rt.api_url}/channels/x/callback"]
        browser = requests.Session()
        opened = browser.get(started["connect_url"], allow_redirects=False, timeout=30)
        assert opened.status_code == 302 and opened.headers["Location"] == started["authorization_url"]
        back = {"state": started["state"], "code": "the-code"}
        elsewhere = requests.get(started["callback_url"], params=back, headers={"Accept": "text/html"}, timeout=30)
        assert elsewhere.status_code == 400 and "browser that started it" in elsewhere.text, elsewhere.text
        page = browser.get(started["callback_url"], params=back, headers={"Accept": "text/html"}, timeout=30)
        assert page.status_code == 200 and "X account connected" in page.text, page.text
        assert "<dd>Acme</dd>" in page.text and "<dd>Ada</dd>" in page.text
        assert not browser.cookies  # cleared once used
        (channel,) = requests.get(f"{rt.api_url}/channels", headers=bearer, timeout=30).json()["items"]
        assert (channel["network"], channel["status"]) == ("x", "active")

        # Two hours less the margin later, the runtime's firer fires the refresh schedule.
        x.post(f"{prism_x.base_url}/2/oauth2/token", json=rec.TOKEN_200)
        manual.advance((timedelta(hours=2) - upkeep.MARGIN).total_seconds())
        rt.firer.run_due()
        record = ChannelRecord.get(tokens.authenticate(f"Bearer {token}").workspace_id, channel["id"])
        stored = credentials.SsmSessionStore(credentials.session_parameter(record.credential_parameter)).load()
        assert stored is not None and stored["refresh_token"] == "new-refresh-token"

        # The renewed token publishes (Prism checks the request against X's description).
        publish_at = (manual.now() + timedelta(minutes=5)).isoformat()
        queued = requests.post(
            f"{rt.api_url}/posts",
            json={
                "text": f"Hello from parley {uuid.uuid4().hex[:6]}",
                "channels": [channel["id"]],
                "publish_at": publish_at,
            },
            headers={**bearer, "Idempotency-Key": uuid.uuid4().hex},
            timeout=30,
        )
        assert queued.status_code == 201, queued.text
        manual.advance(5 * 60 - SCHEDULE_LEAD_SECONDS)
        rt.firer.run_due()
        manual.advance(SCHEDULE_LEAD_SECONDS)
        rt.firer.run_due()
        post = requests.get(f"{rt.api_url}/posts/{queued.json()['id']}", headers=bearer, timeout=30).json()
        (delivery,) = post["deliveries"]
        assert delivery["state"] == "published", delivery
