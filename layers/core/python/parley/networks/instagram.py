"""Instagram (Graph API, professional accounts): posts made with the two-step container publish.

Credential: `identifier` is the Instagram professional account's id (IG user id), `secret` its access
token, `service_url` the Graph API host without the version (https://graph.facebook.com for Instagram API
with Facebook Login, https://graph.instagram.com with Instagram Login; a test's local stand-in otherwise).
The version is GRAPH_VERSION, here only. The OAuth connect flow and token upkeep are parley's connect
module's (built alongside); this adapter only uses the token.

Publishing (https://developers.facebook.com/docs/instagram-platform/content-publishing):
1. `POST /{ig-user-id}/media` with `image_url` (a short-lived presigned S3 GET of the stored image: Meta
   fetches it), `caption` and `alt_text`; several images: one `is_carousel_item=true` container per image,
   then a `media_type=CAROUSEL` container with `children` and the caption.
2. `GET /{container-id}?fields=status_code,status`
   (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-container):
   FINISHED goes on; IN_PROGRESS defers the delivery (TransientNetworkError with a retry time).
3. `POST /{ig-user-id}/media_publish` with `creation_id`.
Exactly once: parley.networks.meta_containers (the container id is recorded before step 3; a retry looks at
`GET /{ig-user-id}/media` first).

Queue-time rules (the content publishing guide's limitations and the IG User Media reference): a caption of
at most 2,200 characters, 30 hashtags and 20 @mentions; an image is required (parley.networks.media_rules: JPEG,
8 MB, aspect ratio 4:5 to 1.91:1, 10 per carousel); 100 API-published posts per 24 hours, read from
`GET /{ig-user-id}/content_publishing_limit?fields=quota_usage,config`.
"""

from __future__ import annotations

import regex

from parley.networks.base import (
    Credential,
    NetworkError,
    PermanentNetworkError,
    Published,
    PublishRequest,
    TransientNetworkError,
)
from parley.networks.boundary import guarded
from parley.networks.meta_containers import (
    FIND_MARGIN,
    ContainerAdapter,
    alt_text,
    as_list,
    comparable_text,
)
from parley.shared.errors import FieldProblem
from parley.shared.timeparse import network_time

NETWORK = "instagram"
NAME = "Instagram"
API_BASE = "https://graph.facebook.com"
GRAPH_VERSION = "v23.0"  # the Graph API version every call names (one place)
MAX_CAPTION = 2200
MAX_HASHTAGS = 30
MAX_MENTIONS = 20
DAILY_POSTS = 100  # content_publishing_limit's documented default (config.quota_total)
RECENT_MEDIA = 25
POST_URL = "https://www.instagram.com/"

_HASHTAG = regex.compile(r"(?<![\w&])#\w+")
_MENTION = regex.compile(r"(?<![\w.])@[\w.]+")


def check_text(text: str) -> list[FieldProblem]:
    """A caption's queue-time rules: 2,200 characters, 30 hashtags, 20 @mentions."""
    problems = []
    if len(text) > MAX_CAPTION:
        reason = f"{len(text)} characters; an Instagram caption takes at most {MAX_CAPTION}"
        problems.append(FieldProblem("text", reason))
    hashtags = len(_HASHTAG.findall(text))
    if hashtags > MAX_HASHTAGS:
        problems.append(FieldProblem("text", f"{hashtags} hashtags; Instagram takes at most {MAX_HASHTAGS} per post"))
    mentions = len(_MENTION.findall(text))
    if mentions > MAX_MENTIONS:
        problems.append(FieldProblem("text", f"{mentions} @mentions; Instagram takes at most {MAX_MENTIONS} per post"))
    return problems


@guarded("Instagram")
class InstagramAdapter(ContainerAdapter):
    network = NETWORK
    name = NAME
    limit_path = "content_publishing_limit"
    daily_posts = DAILY_POSTS
    api_base = API_BASE
    version = GRAPH_VERSION

    def check_text(self, text: str) -> list[FieldProblem]:
        return check_text(text)

    def publish(self, request: PublishRequest) -> Published:
        if not request.images:
            raise PermanentNetworkError("Instagram takes no post without an image")
        return super().publish(request)

    def _account_path(self, credential: Credential) -> str:
        return credential.identifier or "me"

    def find(self, request: PublishRequest) -> Published | None:
        """The account's recent media (`GET /{ig-user-id}/media`, newest first) for one with this caption,
        made since the delivery was due."""
        body = self.graph.get(
            f"{self._user_id}/media",
            {"fields": "id,caption,timestamp,permalink", "limit": str(RECENT_MEDIA)},
            doing="look for the post",
        )
        wanted = comparable_text(request.text)
        since = request.due_at - FIND_MARGIN
        for media in as_list(body.get("data")):
            if not isinstance(media, dict) or not media.get("id"):
                continue
            made = network_time(media.get("timestamp"))
            if made is not None and made < since:
                break  # newest first: the rest is older
            if comparable_text(str(media.get("caption") or "")) != wanted:
                continue
            return Published(
                remote_id=str(media["id"]),
                url=str(media.get("permalink") or POST_URL),
                acknowledged_at=made or self._clock.now(),
                already_there=True,
            )
        return None

    # -- steps of the two-step publish -----------------------------------------------------------------

    def _create(self, request: PublishRequest) -> str:
        images = request.images
        if any(not image.url for image in images):
            raise PermanentNetworkError("Instagram fetches images from an address, and this image has none")
        if len(images) == 1:
            return self._container(
                {"image_url": str(images[0].url), "caption": request.text} | alt_text(images[0].alt), "create the post"
            )
        children = [
            self._container(
                {"image_url": str(image.url), "is_carousel_item": "true"} | alt_text(image.alt),
                "add an image to the carousel",
            )
            for image in images
        ]
        form = {"media_type": "CAROUSEL", "children": ",".join(children), "caption": request.text}
        return self._container(form, "create the carousel")

    def _container(self, form: dict[str, str], doing: str) -> str:
        body = self.graph.post(f"{self._user_id}/media", form, doing=doing)
        container = str(body.get("id") or "")
        if not container:
            raise TransientNetworkError(f"Instagram answered with something unexpected (trying to {doing})")
        return container

    def _status(self, container: str) -> tuple[str, str]:
        body = self.graph.get(container, {"fields": "status_code,status"}, doing="check the post's container")
        return str(body.get("status_code") or ""), str(body.get("status") or "")

    def _publish(self, container: str) -> str:
        body = self.graph.post(f"{self._user_id}/media_publish", {"creation_id": container}, doing="publish the post")
        media_id = str(body.get("id") or "")
        if not media_id:
            raise TransientNetworkError("Instagram answered the publish with something unexpected")
        return media_id

    def _published(self, media_id: str) -> Published:
        now = self._clock.now()
        try:  # the permalink: a link a person can open (the post is out whatever this says)
            body = self.graph.get(media_id, {"fields": "permalink"}, doing="read the permalink")
            url = str(body.get("permalink") or "")
        except NetworkError:
            url = ""
        return Published(remote_id=media_id, url=url or POST_URL, acknowledged_at=now)
