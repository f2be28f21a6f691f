"""Threads (Threads API): posts made with the two-step container publish.

Credential: `identifier` is the Threads user id, `secret` its access token, `service_url` the API host
without the version (https://graph.threads.net; a test's local stand-in otherwise). The version is
API_VERSION, here only. Connecting and token upkeep are the connect module's (built alongside).

Publishing (https://developers.facebook.com/docs/threads/posts and
https://developers.facebook.com/docs/threads/reference/publishing):
1. `POST /{threads-user-id}/threads` with `media_type=TEXT` and `text`, or `media_type=IMAGE` with
   `image_url` (a short-lived presigned S3 GET of the stored image: Threads fetches it), `text` and
   `alt_text`; several images: one `is_carousel_item=true` IMAGE container each, then `media_type=CAROUSEL`
   with `children`.
2. `GET /{container-id}?fields=status,error_message`: FINISHED goes on; IN_PROGRESS defers the delivery.
3. `POST /{threads-user-id}/threads_publish` with `creation_id`.
Exactly once: parley.networks.meta_containers (the container id recorded before step 3; a retry looks at
`GET /{threads-user-id}/threads` first).

Queue-time rules (the posts page's "Limitations" and "Topic tags, links and GIFs"): 500 characters, where
an emoji counts as its number of UTF-8 bytes (the page's own rule) and anything else as one character per
grapheme; at most 5 links; 250 API-published posts per 24 hours, read from
`GET /{threads-user-id}/threads_publishing_limit?fields=quota_usage,config`
(https://developers.facebook.com/docs/threads/overview#rate-limiting).
"""

from __future__ import annotations

import regex

from parley.networks.base import (
    NetworkError,
    Published,
    PublishRequest,
    TransientNetworkError,
)
from parley.networks.boundary import guarded
from parley.networks.meta_containers import (
    FIND_MARGIN,
    ContainerAdapter,
    ContainerSteps,
    alt_text,
    as_list,
    comparable_text,
)
from parley.shared.errors import FieldProblem
from parley.shared.timeparse import network_time

NETWORK = "threads"
NAME = "Threads"
API_BASE = "https://graph.threads.net"
API_VERSION = "v1.0"  # the Threads API version every call names (one place)
MAX_CHARACTERS = 500
MAX_LINKS = 5
DAILY_POSTS = 250  # threads_publishing_limit's documented default (config.quota_total)
RECENT_POSTS = 25
POST_URL = "https://www.threads.net/"

_EMOJI = regex.compile(r"\p{Extended_Pictographic}|\p{Regional_Indicator}")
_GRAPHEME = regex.compile(r"\X")
_LINK = regex.compile(r"https?://[^\s]+", regex.IGNORECASE)


def length(text: str) -> int:
    """Threads' count: an emoji (a grapheme holding a pictograph or a flag) as its UTF-8 bytes, any other
    grapheme as one."""
    return sum(len(g.encode("utf-8")) if _EMOJI.search(g) else 1 for g in _GRAPHEME.findall(text))


def check_text(text: str) -> list[FieldProblem]:
    problems = []
    counted = length(text)
    if counted > MAX_CHARACTERS:
        problems.append(
            FieldProblem(
                "text",
                f"{counted} characters as Threads counts them (an emoji as its UTF-8 bytes); "
                f"Threads allows at most {MAX_CHARACTERS}",
            )
        )
    links = len(set(_LINK.findall(text)))
    if links > MAX_LINKS:
        problems.append(FieldProblem("text", f"{links} links; Threads takes at most {MAX_LINKS} per post"))
    return problems


@guarded("Threads")
class ThreadsAdapter(ContainerAdapter):
    network = NETWORK
    name = NAME
    limit_path = "threads_publishing_limit"
    daily_posts = DAILY_POSTS
    api_base = API_BASE
    version = API_VERSION

    def check_text(self, text: str) -> list[FieldProblem]:
        return check_text(text)

    def find(self, request: PublishRequest) -> Published | None:
        """The account's posts since the delivery was due (`GET /{threads-user-id}/threads?since=`) for one
        with this text."""
        since = request.due_at - FIND_MARGIN
        body = self.graph.get(
            f"{self._user_id}/threads",
            {"fields": "id,text,timestamp,permalink", "since": str(int(since.timestamp())), "limit": str(RECENT_POSTS)},
            doing="look for the post",
        )
        wanted = comparable_text(request.text)
        for post in as_list(body.get("data")):
            if not isinstance(post, dict) or not post.get("id"):
                continue
            if comparable_text(str(post.get("text") or "")) != wanted:
                continue
            return Published(
                remote_id=str(post["id"]),
                url=str(post.get("permalink") or POST_URL),
                acknowledged_at=network_time(post.get("timestamp")) or self._clock.now(),
                already_there=True,
            )
        return None

    # -- steps of the two-step publish -----------------------------------------------------------------

    def _create(self, request: PublishRequest, reply_to: str | None = None) -> str:
        images = request.images
        extra = {"reply_to_id": reply_to} if reply_to else {}
        if not images:
            return self.container({"media_type": "TEXT", "text": request.text} | extra, "create the post")
        if any(not image.url for image in images):
            raise TransientNetworkError("Threads fetches images from an address, and this image has none yet")
        if len(images) == 1:
            form = {"media_type": "IMAGE", "image_url": str(images[0].url), "text": request.text}
            return self.container(form | alt_text(images[0].alt) | extra, "create the post")
        children = [
            self.container(
                {"media_type": "IMAGE", "image_url": str(image.url), "is_carousel_item": "true"} | alt_text(image.alt),
                "add an image to the carousel",
            )
            for image in images
        ]
        form = {"media_type": "CAROUSEL", "children": ",".join(children), "text": request.text}
        return self.container(form | extra, "create the carousel")

    def container(self, form: dict[str, str], doing: str) -> str:
        body = self.graph.post(f"{self._user_id}/threads", form, doing=doing)
        container = str(body.get("id") or "")
        if not container:
            raise TransientNetworkError(f"Threads answered with something unexpected (trying to {doing})")
        return container

    def _status(self, container: str) -> tuple[str, str]:
        body = self.graph.get(container, {"fields": "status,error_message"}, doing="check the post's container")
        return str(body.get("status") or ""), str(body.get("error_message") or "")

    def _publish(self, container: str) -> str:
        body = self.graph.post(f"{self._user_id}/threads_publish", {"creation_id": container}, doing="publish the post")
        post_id = str(body.get("id") or "")
        if not post_id:
            raise TransientNetworkError("Threads answered the publish with something unexpected")
        return post_id

    def _published(self, post_id: str) -> Published:
        now = self._clock.now()
        try:
            body = self.graph.get(post_id, {"fields": "permalink"}, doing="read the permalink")
            url = str(body.get("permalink") or "")
        except NetworkError:
            url = ""
        return Published(remote_id=post_id, url=url or POST_URL, acknowledged_at=now)

    def steps(self, reply_to: str) -> ContainerSteps:
        """The two-step publish of an answer (`reply_to_id`), for parley.listening.threads."""
        return ContainerSteps(
            NAME,
            lambda request: self._create(request, reply_to),
            self._status,
            self._publish,
            lambda request: None,  # the listener looks for its answer itself
            self._published,
        )
