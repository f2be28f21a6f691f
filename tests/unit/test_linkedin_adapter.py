"""The LinkedIn adapter and listener on recorded answers (tests/support/linkedin_recorded.py, each citing
LinkedIn's docs page), served by the `responses` library: no sockets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import responses

from parley.listening.linkedin import LinkedInListener
from parley.networks import linkedin
from parley.networks.base import (
    AnswerTo,
    Attachment,
    Credential,
    InvalidCredential,
    LinkCard,
    PublishRequest,
    SearchUnsupported,
    TransientNetworkError,
)
from parley.networks.linkedin import LinkedInAdapter, RateLimited
from parley.networks.registry import check_text
from parley.shared.clock import ManualClock
from tests.support import linkedin_recorded as rec

API = "http://127.0.0.1:4020"
TOKEN = "linkedin-token-s3cret"
CREDENTIAL = Credential(rec.ORG, TOKEN, API)
DUE = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
REQUEST = PublishRequest(delivery_id="01jdelivery", text="Hello #launch (today)", due_at=DUE, look_first=False)
POSTS = f"{API}/rest/posts"


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def adapter(now: datetime = DUE) -> LinkedInAdapter:
    return LinkedInAdapter(CREDENTIAL, clock=ManualClock(now))


def creates(api: responses.RequestsMock) -> list[responses.Call]:
    return [c for c in api.calls if c.request.method == "POST" and urlparse(str(c.request.url)).path == "/rest/posts"]


def test_a_post_is_created_once_with_the_author_and_the_versioned_headers(api: responses.RequestsMock) -> None:
    api.add(responses.POST, POSTS, status=201, headers=rec.CREATE_POST_HEADERS)

    published = adapter().publish(REQUEST)

    assert published.remote_id == rec.CREATED_URN
    assert published.url == f"https://www.linkedin.com/feed/update/{rec.CREATED_URN}/"
    (call,) = creates(api)
    body = json.loads(call.request.body or b"{}")
    assert body["author"] == rec.ORG and body["visibility"] == "PUBLIC" and body["lifecycleState"] == "PUBLISHED"
    assert body["distribution"]["feedDistribution"] == "MAIN_FEED"
    assert body["commentary"] == r"Hello \#launch \(today\)"  # little text: reserved characters escaped
    assert call.request.headers["LinkedIn-Version"] == linkedin.LINKEDIN_VERSION
    assert call.request.headers["X-Restli-Protocol-Version"] == "2.0.0"
    assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_a_retry_after_a_timeout_looks_first_and_creates_nothing_more(api: responses.RequestsMock) -> None:
    api.add(responses.POST, POSTS, body=requests.Timeout())
    with pytest.raises(TransientNetworkError):
        adapter().publish(REQUEST)
    # LinkedIn had created it after all: the author's posts show it, with the commentary as stored.
    created_ms = int((DUE + timedelta(seconds=3)).timestamp() * 1000)
    api.add(responses.GET, POSTS, json=rec.posts_by_author(linkedin.little_text(REQUEST.text), created_ms))

    found = adapter().publish(PublishRequest(**{**REQUEST.__dict__, "look_first": True}))

    assert found.already_there and found.remote_id == rec.CREATED_URN
    assert len(creates(api)) == 1  # only the first, timed-out attempt
    lookup = next(c for c in api.calls if c.request.method == "GET")
    query = parse_qs(urlparse(str(lookup.request.url)).query)
    assert query["q"] == ["author"] and query["author"] == [rec.ORG]
    assert "urn%3Ali%3Aorganization%3A5515715" in (lookup.request.url or "")  # protocol 2.0: encoded URN


def test_a_look_that_finds_nothing_creates_the_post(api: responses.RequestsMock) -> None:
    old_ms = int((DUE - timedelta(days=2)).timestamp() * 1000)
    api.add(responses.GET, POSTS, json=rec.posts_by_author(linkedin.little_text(REQUEST.text), old_ms))
    api.add(responses.POST, POSTS, status=201, headers=rec.CREATE_POST_HEADERS)

    published = adapter().publish(PublishRequest(**{**REQUEST.__dict__, "look_first": True}))

    assert not published.already_there and len(creates(api)) == 1


def test_a_duplicate_refusal_names_the_post_already_there(api: responses.RequestsMock) -> None:
    api.add(responses.POST, POSTS, status=422, json=rec.DUPLICATE_422)

    published = adapter().publish(REQUEST)

    assert published.already_there and published.remote_id == rec.CREATED_URN


def test_images_are_uploaded_then_attached_with_their_alt_text(api: responses.RequestsMock) -> None:
    initialized = iter([rec.initialize_upload(API, 0), rec.initialize_upload(API, 1)])
    api.add_callback(responses.POST, f"{API}/rest/images", callback=lambda _r: (200, {}, json.dumps(next(initialized))))
    api.add(responses.PUT, f"{API}{rec.UPLOAD_PATH}0", status=201)
    api.add(responses.PUT, f"{API}{rec.UPLOAD_PATH}1", status=201)
    api.add(responses.POST, POSTS, status=201, headers=rec.CREATE_POST_HEADERS)
    images = (
        Attachment(b"\x89PNG one", "image/png", alt="A cup"),
        Attachment(b"\xff\xd8 two", "image/jpeg", alt="Beans"),
    )

    adapter().publish(PublishRequest(**{**REQUEST.__dict__, "images": images}))

    init = next(c for c in api.calls if "/rest/images" in (c.request.url or ""))
    assert parse_qs(urlparse(str(init.request.url)).query)["action"] == ["initializeUpload"]
    assert json.loads(init.request.body or b"{}") == {"initializeUploadRequest": {"owner": rec.ORG}}
    puts = [c for c in api.calls if c.request.method == "PUT"]
    assert [p.request.body for p in puts] == [b"\x89PNG one", b"\xff\xd8 two"]
    body = json.loads(creates(api)[0].request.body or b"{}")
    assert body["content"] == {
        "multiImage": {
            "images": [{"id": f"{rec.IMAGE_URN}0", "altText": "A cup"}, {"id": f"{rec.IMAGE_URN}1", "altText": "Beans"}]
        }
    }


def test_one_image_goes_as_media_and_a_link_as_an_article(api: responses.RequestsMock) -> None:
    api.add(responses.POST, f"{API}/rest/images", json=rec.initialize_upload(API, 0))
    api.add(responses.PUT, f"{API}{rec.UPLOAD_PATH}0", status=201)
    api.add(responses.POST, POSTS, status=201, headers=rec.CREATE_POST_HEADERS)

    adapter().publish(PublishRequest(**{**REQUEST.__dict__, "images": (Attachment(b"x", "image/png", alt="A cup"),)}))
    adapter().publish(PublishRequest(**{**REQUEST.__dict__, "link_card": LinkCard("https://acme.test/", "Acme")}))

    first, second = (json.loads(c.request.body or b"{}") for c in creates(api))
    assert first["content"] == {"media": {"id": f"{rec.IMAGE_URN}0", "altText": "A cup"}}
    assert second["content"] == {"article": {"source": "https://acme.test/", "title": "Acme"}}


@pytest.mark.parametrize("answer", [rec.REVOKED_401, rec.EXPIRED_401])
def test_a_revoked_or_expired_token_is_an_invalid_credential(api: responses.RequestsMock, answer: dict) -> None:
    api.add(responses.POST, POSTS, status=401, json=answer)

    with pytest.raises(InvalidCredential) as raised:
        adapter().publish(REQUEST)

    assert "connect the account again" in raised.value.reason


def test_a_429_waits_for_retry_after_or_midnight_utc(api: responses.RequestsMock) -> None:
    api.add(responses.POST, POSTS, status=429, json=rec.TOO_MANY_429)
    api.add(responses.POST, POSTS, status=429, json=rec.TOO_MANY_429, headers={"Retry-After": "120"})

    with pytest.raises(RateLimited) as daily:
        adapter().publish(REQUEST)
    with pytest.raises(RateLimited) as told:
        adapter().publish(REQUEST)

    assert daily.value.retry_at == datetime(2026, 3, 2, tzinfo=UTC)
    assert told.value.retry_at == DUE + timedelta(seconds=120)


def test_the_version_warning_metric_fires_only_in_the_last_60_days(
    api: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    end = linkedin.version_end()
    assert end == datetime.strptime(str(int(linkedin.LINKEDIN_VERSION) + 100), "%Y%m").date()  # one year on
    api.add(responses.POST, POSTS, status=201, headers=rec.CREATE_POST_HEADERS)

    adapter(datetime(end.year, end.month, 1, tzinfo=UTC) - timedelta(days=61)).publish(REQUEST)
    assert "LinkedInVersionNearingEnd" not in capsys.readouterr().out
    adapter(datetime(end.year, end.month, 1, tzinfo=UTC) - timedelta(days=59)).publish(REQUEST)

    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "LinkedInVersionNearingEnd" in line]
    assert len(emitted) == 1 and emitted[0]["LinkedInVersionNearingEnd"] == [59.0]
    assert emitted[0]["version"] == linkedin.LINKEDIN_VERSION


def test_verify_reads_the_organization_and_refuses_a_bad_author(api: responses.RequestsMock) -> None:
    api.add(responses.GET, f"{API}/rest/organizations/5515715", json=rec.ORGANIZATION_200)

    account = adapter().verify(CREDENTIAL)

    assert account.remote_id == rec.ORG and account.handle == "devtestco"
    with pytest.raises(InvalidCredential):
        adapter().verify(Credential("5515715", TOKEN, API))


def test_text_over_3000_characters_is_refused_at_queue_time() -> None:
    assert check_text("linkedin", "a" * 3000) == []
    (problem,) = check_text("linkedin", "a" * 3001)
    assert problem.field == "text" and "3001 characters" in problem.reason and "3000" in problem.reason


# -- listening ------------------------------------------------------------------------------------------


def listener() -> LinkedInListener:
    return LinkedInListener(adapter())


def test_counters_and_comments_are_read_without_our_own(api: responses.RequestsMock) -> None:
    urn = rec.CREATED_URN.replace(":", "%3A")
    api.add(responses.GET, f"{API}/rest/socialMetadata/{urn}", json=rec.SOCIAL_METADATA_200)
    api.add(responses.GET, f"{API}/rest/socialActions/{urn}/comments", json=rec.COMMENTS_200)

    conversation = listener().read_conversation(rec.CREATED_URN, rec.ORG)

    assert conversation is not None
    assert conversation.counters == {"like": 9, "reply": 3}  # no impressions: organization statistics only
    assert [r.uri for r in conversation.replies] == [rec.COMMENT_1, rec.COMMENT_2]
    first, second = conversation.replies
    assert first.text == "Congrats on the launch!" and first.parent_uri == rec.CREATED_URN
    assert second.parent_uri == rec.COMMENT_1 and second.root_uri == rec.CREATED_URN
    assert first.created_at == datetime.fromtimestamp(1571335086, UTC)
    assert conversation.calls == 2


def test_an_answer_is_a_nested_comment_created_once(api: responses.RequestsMock) -> None:
    # Protocol 2.0: the whole comment URN encoded, parentheses and comma too.
    comment = "urn%3Ali%3Acomment%3A%28urn%3Ali%3Ashare%3A6844785523593134080%2C6636062862760562688%29"
    comments = f"{API}/rest/socialActions/{comment}/comments"
    api.add(responses.GET, comments, json={"paging": {"total": 0}, "elements": []})
    api.add(
        responses.POST,
        comments,
        status=201,
        json=rec.CREATED_COMMENT_201,
        headers={"x-restli-id": "6636062862760562700"},
    )
    to = AnswerTo(rec.COMMENT_1, "", rec.CREATED_URN, "", "urn:li:person:A1b2C3")

    published = listener().answer("key", DUE, "Thank you!", to)

    assert published.remote_id == rec.ANSWER_URN
    (post,) = [c for c in api.calls if c.request.method == "POST"]
    assert json.loads(post.request.body or b"{}") == {
        "actor": rec.ORG,
        "object": rec.CREATED_URN,
        "message": {"text": "Thank you!"},
        "parentComment": rec.COMMENT_1,
    }


def test_a_comment_on_the_post_itself_has_no_parent_comment(api: responses.RequestsMock) -> None:
    # A first comment or a thread's part as a comment (docs/threads.md): `to` is the post, not a comment.
    comments = f"{API}/rest/socialActions/{linkedin.encoded(rec.CREATED_URN)}/comments"
    api.add(responses.GET, comments, json={"paging": {"total": 0}, "elements": []})
    created = {k: v for k, v in rec.CREATED_COMMENT_201.items() if k != "parentComment"}
    api.add(responses.POST, comments, status=201, json=created, headers={"x-restli-id": "6636062862760562700"})
    to = AnswerTo(rec.CREATED_URN, "", rec.CREATED_URN, "", "")

    published = listener().answer("p_1.ch_1/comment", DUE, "Details: https://example.com", to)

    assert published.remote_id == rec.ANSWER_URN
    (post,) = [c for c in api.calls if c.request.method == "POST"]
    assert json.loads(post.request.body or b"{}") == {
        "actor": rec.ORG,
        "object": rec.CREATED_URN,
        "message": {"text": "Details: https://example.com"},
    }


def test_an_answer_already_there_is_not_posted_again(api: responses.RequestsMock) -> None:
    api.add(
        responses.GET,
        f"{API}/rest/socialActions/{linkedin.encoded(rec.COMMENT_1)}/comments",
        json={"paging": {"total": 1}, "elements": [rec.CREATED_COMMENT_201]},
    )
    to = AnswerTo(rec.COMMENT_1, "", rec.CREATED_URN, "", "urn:li:person:A1b2C3")

    published = listener().answer("key", DUE, "Thank you!", to)

    assert published.already_there and published.remote_id == rec.ANSWER_URN
    assert not [c for c in api.calls if c.request.method == "POST"]


def test_mentions_find_nothing_and_search_is_unsupported() -> None:
    assert listener().read_mentions("m1").items == [] and listener().read_mentions("m1").calls == 0
    with pytest.raises(SearchUnsupported):
        listener().search("#launch", None, rec.ORG)


class RenewedSession:
    def load(self) -> dict[str, str] | None:
        return {"access_token": "renewed-token"}

    def save(self, session: dict[str, str]) -> None:
        raise AssertionError("the adapter does not renew tokens itself")


def test_a_token_renewed_by_upkeep_is_used_before_the_credentials_own(api: responses.RequestsMock) -> None:
    api.add(responses.POST, POSTS, status=201, headers=rec.CREATE_POST_HEADERS)

    LinkedInAdapter(CREDENTIAL, RenewedSession(), clock=ManualClock(DUE)).publish(REQUEST)

    assert creates(api)[0].request.headers["Authorization"] == "Bearer renewed-token"


def test_a_deleted_post_has_no_conversation(api: responses.RequestsMock) -> None:
    api.add(
        responses.GET,
        f"{API}/rest/socialMetadata/{linkedin.encoded(rec.CREATED_URN)}",
        status=404,
        json=rec.NOT_FOUND_404,
    )

    assert listener().read_conversation(rec.CREATED_URN, rec.ORG) is None


def test_verify_of_a_member_checks_the_token_is_theirs(api: responses.RequestsMock) -> None:
    api.add(responses.GET, f"{API}/v2/userinfo", json=rec.USERINFO_200)
    api.add(responses.GET, f"{API}/v2/userinfo", json=rec.OTHER_USERINFO_200)
    member = Credential(rec.PERSON, TOKEN, API)

    assert adapter().verify(member).handle == "Ada Lovelace"
    with pytest.raises(InvalidCredential):
        adapter().verify(member)
