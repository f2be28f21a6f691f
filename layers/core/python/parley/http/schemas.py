"""Request bodies, validated by Powertools before a route runs (and documented in the OpenAPI)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


class ConnectChannel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # x, linkedin, facebook, instagram, threads: GET /channels/{network}/connect instead (a 422 says so)
    network: Literal["bluesky", "mastodon", "x", "linkedin", "facebook", "instagram", "threads"] = "bluesky"
    identifier: str | None = Field(
        default=None, min_length=1, max_length=253, description="Bluesky: the account's handle, DID or e-mail"
    )
    app_password: SecretStr | None = Field(
        default=None, description="Bluesky: an app password; checked now, stored encrypted, never returned"
    )
    access_token: SecretStr | None = Field(
        default=None, description="Mastodon: an access token (scopes read, write); checked now, never returned"
    )
    service_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s/]+(:\d+)?/?$",
        description="Bluesky: the account's PDS (default https://bsky.social); Mastodon: the instance's URL",
    )
    time_zone: str = Field(default="UTC", description="IANA zone for times given without one")


class Override(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(
        default=None, max_length=10_000, description="What this network gets instead of the post's text"
    )
    media: list[str] | None = Field(
        default=None, max_length=10, description="Media ids this network gets instead of the post's (docs/media.md)"
    )

    @model_validator(mode="after")
    def something_to_override(self) -> Override:
        if self.text is None and self.media is None:
            raise ValueError("give text or media")
        return self


class LinkCardFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://", description="The card's link")
    title: str | None = Field(default=None, max_length=300)
    description: str | None = Field(default=None, max_length=1000)
    thumbnail_url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://")


Overrides = dict[Literal["bluesky", "mastodon", "x"], Override]


class CreatePost(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=10_000)
    overrides: Overrides | None = Field(default=None, description="Per-network text, e.g. a shorter one for X")
    channels: list[str] = Field(min_length=1, description="Channel ids to publish on")
    publish_at: str = Field(
        description="ISO 8601 with an offset (2026-11-23T10:00:00+01:00, ...Z) or a zone "
        "(2026-11-23T10:00:00[Europe/Paris]), or a local time with time_zone",
    )
    time_zone: str | None = Field(default=None, description="IANA zone for a publish_at without an offset")
    campaign: str | None = Field(default=None, max_length=100)
    media: list[str] = Field(
        default_factory=list, max_length=10, description="Media ids (POST /media), in order; checked per network"
    )
    link_card: LinkCardFields | None = Field(
        default=None,
        description="Link card fields that supply or override the page's own (used when there is no image)",
    )


class EditPost(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, max_length=10_000)
    overrides: Overrides | None = Field(default=None, description="Per-network texts to set (others are kept)")
    publish_at: str | None = None
    time_zone: str | None = None
    campaign: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def no_media_changes(self) -> EditPost:
        if any(o.media is not None for o in (self.overrides or {}).values()):
            raise ValueError("images cannot be changed by an edit: cancel the post and queue it again")
        return self

    @model_validator(mode="after")
    def something_to_change(self) -> EditPost:
        if self.text is None and self.publish_at is None and self.campaign is None and not self.overrides:
            raise ValueError("give at least one of text, overrides, publish_at, campaign")
        return self
