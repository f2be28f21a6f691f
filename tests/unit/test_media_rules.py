"""Per-network image rules and the check of an upload's bytes."""

from __future__ import annotations

from parley.media.uploads import READY, REJECTED, judge
from parley.networks.media_rules import BLUESKY, MASTODON_DEFAULT, Image, X, check_images, mastodon_limits
from tests.support.images import png


def image(n: int, size: int = 1000, content_type: str = "image/png", alt: str | None = "alt") -> Image:
    return Image(f"m_{n}", content_type, size, alt)


def test_four_images_fit_bluesky_and_five_do_not() -> None:
    assert check_images("bluesky", BLUESKY, [image(i) for i in range(4)], "media") == []
    (problem,) = check_images("bluesky", BLUESKY, [image(i) for i in range(5)], "media")
    assert problem.reason == "5 images; Bluesky takes at most 4 per post"


def test_an_image_over_the_limit_names_the_image_the_network_and_the_limit() -> None:
    (problem,) = check_images("x", X, [image(1, size=6_000_000)], "overrides.x.media")
    assert problem.field == "overrides.x.media[0]"
    assert problem.reason == f"m_1 has 6000000 bytes; X takes at most {5 * 1024 * 1024} bytes per image"


def test_a_type_the_network_does_not_take_is_named() -> None:
    (problem,) = check_images("bluesky", BLUESKY, [image(1, content_type="image/heic")], "media")
    assert "m_1 is image/heic; Bluesky takes" in problem.reason


def test_missing_alt_text_counts_only_when_required() -> None:
    assert check_images("bluesky", BLUESKY, [image(1, alt=" ")], "media") == []
    (problem,) = check_images("bluesky", BLUESKY, [image(1, alt=None)], "media", require_alt=True)
    assert "no alt text" in problem.reason


def test_mastodon_limits_come_from_the_instance_configuration() -> None:
    instance = {
        "configuration": {
            "statuses": {"max_media_attachments": 6},
            "media_attachments": {"supported_mime_types": ["image/png", "video/mp4"], "image_size_limit": 8_000_000},
        }
    }

    limits = mastodon_limits(instance)

    assert (limits.max_images, limits.max_bytes, limits.types) == (6, 8_000_000, frozenset({"image/png"}))
    assert mastodon_limits({}) == MASTODON_DEFAULT


def test_a_png_is_ready_with_its_dimensions() -> None:
    data = png(7, 3)
    assert judge(data, "image/png", len(data)) == judge(data, "image/png", 10_000)
    verdict = judge(data, "image/png", len(data))
    assert (verdict.status, verdict.width, verdict.height, verdict.size) == (READY, 7, 3, len(data))


def test_a_png_declared_as_jpeg_is_rejected() -> None:
    verdict = judge(png(), "image/jpeg", 10_000)
    assert verdict.status == REJECTED and verdict.reason == "the file is image/png, not image/jpeg as declared"


def test_bytes_that_are_no_image_are_rejected() -> None:
    assert judge(b"%PDF-1.7 not an image", "image/png", 10_000).status == REJECTED


def test_a_file_larger_than_declared_is_rejected() -> None:
    data = png()
    assert judge(data, "image/png", len(data) - 1).status == REJECTED


def test_a_truncated_header_is_rejected() -> None:
    assert judge(png()[:20], "image/png", 10_000).status == REJECTED


def test_the_mastodon_adapter_reads_the_instances_image_limits_with_its_text_limits() -> None:
    from parley.networks.mastodon import limits_from_instance

    body = {"configuration": {"media_attachments": {"image_size_limit": 2_000_000}}}

    media = limits_from_instance(body).media

    assert media is not None and media.max_bytes == 2_000_000 and media.max_images == 4
