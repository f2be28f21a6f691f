"""The account's posts as X answers `find` (`GET /2/users/:id/tweets` with `post.fields=created_at,entities,
attachments`, `expansions=attachments.media_keys`, `media.fields=media_key,alt_text`): an image post, whose
text X ends with the t.co link of its images, and a post whose link X shortened.

Shaped after https://docs.x.com/x-api/posts/user-posts-timeline-by-user-id and X's entities page
(https://developer.x.com/en/docs/twitter-api/enterprise/data-dictionary/native-enriched-objects/entities):
every link in `text` is a t.co link, `entities.urls[]` gives what each stands for (`expanded_url`), and the
link X appends for an image post's images has the `media_key` of the first image (one link for all of them,
repeated once per image: tweepy/tweepy#1867); `attachments.media_keys` lists the images, `includes.media`
describes them. Field names and types follow X's OpenAPI description (../shared/peers/x-openapi.json:
`GetUsersPostsResponse`; tests/integration/test_x_prism.py validates these answers against it).
Ids are snowflakes of the times in `created_at`.
"""

from __future__ import annotations

from typing import Any

USER_ID = "2244994945"

IMAGE_POST_ID = "2028032513930166272"  # 2026-03-01T09:00:05Z
IMAGE_TEXT = "Our new office is open! Come by: https://example.com/office"
IMAGE_ALT = "The front door of the office"
IMAGE_MEDIA_KEY = "3_2028032500000000000"
LINK_POST_ID = "2028032530707382272"  # 2026-03-01T09:00:09Z
LINK_TEXT = "Read the launch notes https://example.com/notes/v2 #launch"
OLD_POST_ID = "2028024943211446272"  # 2026-03-01T08:30:00Z

_OFFICE = "https://t.co/Jq1NfKvHKZ"
_PICTURE = "https://t.co/PIC0xAbCdE"
_NOTES = "https://t.co/56a0vZUx7i"


def image_post(post_id: str = IMAGE_POST_ID, created_at: str = "2026-03-01T09:00:05.000Z") -> dict[str, Any]:
    """Our image post as X shows it: `IMAGE_TEXT` with its link shortened and the images' link appended."""
    text = f"Our new office is open! Come by: {_OFFICE} {_PICTURE}"
    return {
        "id": post_id,
        "text": text,
        "created_at": created_at,
        "edit_history_post_ids": [post_id],
        "attachments": {"media_keys": [IMAGE_MEDIA_KEY]},
        "entities": {
            "urls": [
                {
                    "start": 33,
                    "end": 56,
                    "url": _OFFICE,
                    "expanded_url": "https://example.com/office",
                    "display_url": "example.com/office",
                },
                {
                    "start": 57,
                    "end": 80,
                    "url": _PICTURE,
                    "expanded_url": f"https://x.com/XDevelopers/status/{post_id}/photo/1",
                    "display_url": "pic.x.com/PIC0xAbCdE",
                    "media_key": IMAGE_MEDIA_KEY,
                },
            ]
        },
    }


def link_post() -> dict[str, Any]:
    """A post without images whose link X shortened."""
    return {
        "id": LINK_POST_ID,
        "text": f"Read the launch notes {_NOTES} #launch",
        "created_at": "2026-03-01T09:00:09.000Z",
        "edit_history_post_ids": [LINK_POST_ID],
        "entities": {
            "urls": [
                {
                    "start": 22,
                    "end": 45,
                    "url": _NOTES,
                    "expanded_url": "https://example.com/notes/v2",
                    "display_url": "example.com/notes/v2",
                }
            ],
            "hashtags": [{"start": 46, "end": 53, "tag": "launch"}],
        },
    }


def posts(*data: dict[str, Any], alt: str = IMAGE_ALT) -> dict[str, Any]:
    """One page of the account's posts, with the images' descriptions under `includes.media`."""
    ids = [str(post["id"]) for post in data]
    return {
        "data": list(data),
        "includes": {"media": [{"media_key": IMAGE_MEDIA_KEY, "type": "photo", "alt_text": alt}]},
        "meta": {"result_count": len(ids), "newest_id": ids[0], "oldest_id": ids[-1]},
    }
