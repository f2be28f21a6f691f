"""Look-first: is a post found on the network the one this delivery made? (issue 15 item 6)

A retry after an ambiguous outcome looks among the account's recent posts before creating one, so the
comparison must see through what the network does to a post, and still not claim a post we did not make.
What is compared is what we sent and the network keeps: the text, once the network's rewriting is undone;
the images, by count and alt text (a retry's upload gets new media ids, so the first attempt's are not
known to it); and the time, bounded by the delivery's window.

- X ends an image post's `text` with one t.co link for its images, and shortens every link to t.co:
  `entities.urls` says what each t.co stands for (`expanded_url`) and which is the images' (`media_key`),
  `attachments.media_keys` and `includes.media` the images.
- Mastodon shows a resolved remote mention `@user@domain` as `@user` (parley.networks.mastodon's
  `normalized_text` compares both sides so) and lists the images under `media_attachments`, each with
  its `description`.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

import regex

from parley.networks.base import PublishRequest
from parley.shared.timeparse import network_time

MAX_X_ALT_TEXT = 1000  # X's media metadata alt_text.text maxLength: what X kept of a longer one

_URL = regex.compile(r"https?://\S+", regex.IGNORECASE)
_SPACE = regex.compile(r"\s+")
_T_CO = regex.compile(r"https?://t\.co/\S+", regex.IGNORECASE)
_TRAILING_T_CO = regex.compile(r"\s*https?://t\.co/\S+\s*$", regex.IGNORECASE)
_LINK = regex.compile(r"(?:https?://)?(?:www\.)?([\p{L}\p{N}.-]+\.[\p{L}]{2,}(?::\d+)?)(/\S*)?", regex.IGNORECASE)


def links_as_placeholders(text: str) -> str:
    """Entities decoded, every link reduced to a placeholder, whitespace collapsed."""
    return _SPACE.sub(" ", _URL.sub("<url>", html.unescape(text))).strip()


def same_alt(shown: object, sent: str) -> bool:
    """An image's alt text as the network shows it against the one we sent (either unknown: no objection)."""
    if not isinstance(shown, str) or not sent:
        return True
    return _SPACE.sub(" ", html.unescape(shown)).strip() == _SPACE.sub(" ", sent).strip()


# -- X -----------------------------------------------------------------------------------------------------


def x_post_is_ours(
    post: dict[str, Any], request: PublishRequest, media: dict[str, dict[str, Any]], not_before: datetime
) -> bool:
    """Whether `post` (one of the account's posts, asked with entities, attachments and created_at) is the
    one `request` made: made no earlier than `not_before` when X says when, with the same images, and the
    same text once X's links are undone."""
    created = network_time(post.get("created_at"), naive_is_utc=True)
    if created is not None and created < not_before:
        return False
    return x_same_media(post, request, media) and x_same_text(x_shown_text(post), request.text)


def x_same_media(post: dict[str, Any], request: PublishRequest, media: dict[str, dict[str, Any]]) -> bool:
    """As many images as the request, each (in order) with its alt text where X gives it (sizes are not
    compared: X may scale an image down)."""
    keys = [key for key in _list(_dict(post.get("attachments")).get("media_keys")) if isinstance(key, str)]
    if not keys:  # no `attachments` in the answer: X's media links (one per image, all alike) tell the count
        return len(_x_media_links(post)) == len(request.images)
    if len(keys) != len(request.images):
        return False
    return all(
        same_alt(media.get(key, {}).get("alt_text"), image.alt[:MAX_X_ALT_TEXT])
        for key, image in zip(keys, request.images, strict=True)
    )


def x_shown_text(post: dict[str, Any]) -> str:
    """A post's text as we sent it, as far as X lets us see: entities decoded, each t.co link replaced by
    what it stands for, the images' t.co link taken out."""
    text = html.unescape(str(post.get("text") or ""))
    urls = [entity for entity in _list(_dict(post.get("entities")).get("urls")) if isinstance(entity, dict)]
    for entity in urls:
        short = entity.get("url")
        if not isinstance(short, str) or not short:
            continue
        expanded = entity.get("expanded_url")
        if entity in _x_media_links(post):
            text = text.replace(short, " ")
        elif isinstance(expanded, str) and expanded:
            text = text.replace(short, expanded)
    if _list(_dict(post.get("attachments")).get("media_keys")) and not _x_media_links(post):
        text = _TRAILING_T_CO.sub("", text)  # entities not given: the images' link is the last one
    return text


def x_same_text(shown: str, sent: str) -> bool:
    """Equal once entities, whitespace and links are normalised: links by host and path (scheme, `www.`
    and a trailing slash aside) when X said what each t.co stands for, else as placeholders."""
    if _T_CO.search(shown) and not _T_CO.search(sent):
        return links_as_placeholders(shown) == links_as_placeholders(sent)
    return _comparable_links(shown) == _comparable_links(sent)


def x_media_by_key(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`includes.media` of an answer, by media key."""
    media = _list(_dict(body.get("includes")).get("media"))
    return {str(m["media_key"]): m for m in media if isinstance(m, dict) and isinstance(m.get("media_key"), str)}


def _comparable_links(text: str) -> str:
    def link(match: regex.Match[str]) -> str:
        return (match.group(1).lower() + (match.group(2) or "").rstrip("/")).rstrip(".")

    return _SPACE.sub(" ", _LINK.sub(link, html.unescape(text))).strip()


def _x_media_links(post: dict[str, Any]) -> list[dict[str, Any]]:
    entities = _list(_dict(post.get("entities")).get("urls"))
    return [e for e in entities if isinstance(e, dict) and isinstance(e.get("media_key"), str) and e["media_key"]]


# -- Mastodon ------------------------------------------------------------------------------------------------


def mastodon_same_media(status: dict[str, Any], request: PublishRequest) -> bool:
    """As many attachments as the request has images, each (in order) described by the request's alt text
    when we gave one."""
    attachments = [a for a in _list(status.get("media_attachments")) if isinstance(a, dict)]
    if len(attachments) != len(request.images):
        return False
    return all(
        same_alt(attachment.get("description"), image.alt)
        for attachment, image in zip(attachments, request.images, strict=True)
    )


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
