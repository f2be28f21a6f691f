"""`POST /posts/preview`: what each target channel will show of a post, for the composer's preview cards
(docs/composer.md): the account (name, handle), the text as it will be sent (its links as short links, as
queueing will write them), cut into segments as that network highlights them (parley.networks.segments), the
images with their alt text, the link card where the network shows one and the post has no image, and the
counts and refusals of `POST /posts/validate` (the same call, so no rule has a second copy).

Read-only: nothing is written. No short link is made: a link's short form shows `<base>/l/xxxxxxxxxxxx` (the
code is made when the post is queued; same length, so the counts hold) and its segment's `href` is the page
the reader lands on, with the UTM tags queueing adds. The only network call is the link card's page, through
the SSRF-safe fetcher with a short budget and a per-process cache (parley.media.link_cards.fetch_card_quickly).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from parley.connect.channels import get_channels
from parley.links import short_links
from parley.media import link_cards
from parley.networks import segments
from parley.publishing import validation
from parley.shared import clock
from parley.shared.errors import ValidationFailed
from parley.store import ChannelRecord, MediaRecord
from parley.team.members import Principal

if TYPE_CHECKING:
    from parley.publishing.posts import PostDraft

# The same-origin address the web app serves an image at (its session decides who may see it), so that the
# page's Content-Security-Policy (img-src 'self') allows it; the bytes are the checked copy the post sends.
IMAGE_PATH = "/app/media/{media_id}"
# Networks that show a link card for a post without images: Bluesky and LinkedIn from the card parley sends,
# Facebook from the link parley sends, Mastodon, X and Threads from the page's own tags. Instagram shows none.
CARD_NETWORKS = frozenset({"bluesky", "linkedin", "facebook", "mastodon", "x", "threads"})
# A campaign's UTM preset, kept a minute per process: a composer previews the same campaign many times while
# the marketer types, and its read was half of a preview's time (docs/composer.md). Queueing reads it fresh.
PRESET_TTL_SECONDS = 60.0
_presets: dict[tuple[str, str | None], tuple[float, dict[str, str]]] = {}


def preview(principal: Principal, draft: PostDraft) -> dict[str, Any]:
    """Per channel of `draft`: its preview and its validation (`POST /posts/validate`'s answer, widened)."""
    channels = get_channels(principal.workspace_id, draft.channel_ids)  # one read for the checks and the cards
    checked = validation.validate(principal, draft, channels)  # the role, the request's shape, every rule
    images = _images(
        principal.workspace_id, [*draft.media, *(i for ids in draft.media_overrides.values() for i in ids)]
    )
    shows_card = any(c.network in CARD_NETWORKS and not _image_ids(draft, c.network) for c in channels.values())
    card = _card(draft) if shows_card else link_cards.CardOutcome(None)  # no page read for no card
    texts = [draft.overrides.get(c.network, draft.text) for c in channels.values()]
    links_on = bool(short_links.base_url()) and any(short_links.link_spans(t) for t in texts)
    preset = _preset(principal.workspace_id, draft.campaign) if links_on else {}
    out = []
    for entry in checked["channels"]:
        channel = channels.get(entry["channel_id"])
        out.append(entry | (_preview_of(channel, draft, images, card, preset) if channel else _nothing()))
    answer = checked | {"channels": out}
    return short_links.note(answer, texts)


def _preview_of(
    channel: ChannelRecord,
    draft: PostDraft,
    images: dict[str, MediaRecord],
    card: link_cards.CardOutcome,
    preset: dict[str, str],
) -> dict[str, Any]:
    network = channel.network
    written = draft.overrides.get(network, draft.text)
    sent = short_links.previewed(network, written)
    targets = tuple(
        (start, end, short_links.with_utm(original, network, draft.campaign, preset))
        for start, end, original in sent.links
    )
    cut = segments.segments(network, sent.text, links=targets, instance=channel.service_url)
    ids = _image_ids(draft, network)
    shown_images = [_image(images[i]) for i in ids if i in images]
    shows_card = network in CARD_NETWORKS and not ids
    return {
        "account": {
            "name": channel.display_name or channel.handle,
            "handle": segments.handle_shown(network, channel.handle, channel.service_url),
            "avatar_url": None,  # parley keeps no avatar yet: the card draws the network's mark instead
        },
        "text": sent.text,
        "segments": [s.to_dict() for s in cut],
        "images": shown_images,
        "link_card": card.card if shows_card else None,
        "link_card_missing": card.missing_because if shows_card and card.card is None else None,
    }


def _preset(workspace_id: str, campaign: str | None) -> dict[str, str]:
    if not campaign:
        return {}
    now = clock.now().timestamp()
    kept = _presets.get((workspace_id, campaign))
    if kept is not None and 0 <= now - kept[0] < PRESET_TTL_SECONDS:
        return kept[1]
    if len(_presets) >= 1024:
        _presets.clear()
    preset = short_links.campaign_preset(workspace_id, campaign)
    _presets[(workspace_id, campaign)] = (now, preset)
    return preset


def _image_ids(draft: PostDraft, network: str) -> list[str]:
    return draft.media_overrides.get(network, draft.media)


def _nothing() -> dict[str, Any]:
    return {"account": None, "text": None, "segments": [], "images": [], "link_card": None, "link_card_missing": None}


def _images(workspace_id: str, media_ids: list[str]) -> dict[str, MediaRecord]:
    """The workspace's ready images among `media_ids` (others are refused by the validation, said there)."""
    wanted = list(dict.fromkeys(media_ids))
    if not wanted:
        return {}
    found = MediaRecord.batch_get(wanted)
    return {r.media_id: r for r in found if r.workspace_id == workspace_id and r.status == "ready"}


def _image(record: MediaRecord) -> dict[str, Any]:
    return {
        "media_id": record.media_id,
        "alt": record.alt,
        "url": IMAGE_PATH.format(media_id=record.media_id),
        "width": int(record.width) if record.width is not None else None,
        "height": int(record.height) if record.height is not None else None,
    }


def _card(draft: PostDraft) -> link_cards.CardOutcome:
    """The post's card as queueing makes it (the marketer's fields over the page's), the page read within
    the live check's budget; fields that queueing would refuse are the validation's `problems`: no card."""
    try:
        return link_cards.card_outcome(
            draft.text, draft.overrides, draft.link_card, False, fetch=link_cards.fetch_card_quickly
        )
    except ValidationFailed:
        return link_cards.CardOutcome(None, "no link card: its fields are refused (see problems)")
