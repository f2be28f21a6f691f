"""The composer's previews (parley.publishing.previews, docs/composer.md): `POST /posts/preview`, what each
target channel will show of a post, with `POST /posts/validate`'s counts and refusals. Nothing is written."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from parley.http.schemas import CreatePost
from parley.publishing import post_requests, previews
from parley.team import members

router = Router()


def _caller() -> members.Principal:
    principal: members.Principal = router.context["principal"]
    return principal


@router.post(
    "/posts/preview",
    summary="How each channel will show this post (account, text with its links, mentions and tags, images, "
    "link card), with its counts and refusals",
)
def preview_post(body: CreatePost) -> dict[str, Any]:
    return previews.preview(_caller(), post_requests.draft_of(body.model_dump()))
