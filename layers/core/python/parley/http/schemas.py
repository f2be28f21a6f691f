"""Request bodies, validated by Powertools before a route runs (and documented in the OpenAPI)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    field_validator,
    model_validator,
)

from parley.connect import providers as oauth_providers
from parley.http.fields import (
    LINE_PATTERN,
    Id,
    Name,
    Omitted,
    PostText,
    PublishAt,
    ShortText,
    TitleText,
    Url,
    Zone,
    not_null,
    text_field,
)
from parley.publishing import posts, threads


def _consent_page_hint(network: object) -> object:
    # the OAuth networks connect through their own consent page; say which, rather than "not one of"
    if network == "x":
        raise ValueError("an X account is connected through X's own consent page: GET /channels/x/connect")
    if isinstance(network, str) and network in oauth_providers.PROVIDERS:
        raise ValueError(f"a {network} account is connected through its consent page: GET /channels/{network}/connect")
    return network


Secret = Annotated[SecretStr, Field(min_length=1, max_length=1000)]


class ConnectChannel(BaseModel):
    # Bluesky (the default network): identifier and app_password; Mastodon: access_token and service_url
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "oneOf": [
                {
                    "title": "Bluesky",
                    "required": ["identifier", "app_password"],
                    "properties": {"network": {"const": "bluesky"}},
                },
                {
                    "title": "Mastodon",
                    "required": ["network", "access_token", "service_url"],
                    "properties": {"network": {"const": "mastodon"}},
                },
            ],
            "examples": [
                {"identifier": "acme.bsky.social", "app_password": "exam-plea-pppa-sswd", "time_zone": "Europe/Paris"},
                {
                    "network": "mastodon",
                    "access_token": "EXAMPLE_mastodon_access_token",
                    "service_url": "https://mastodon.social",
                },
            ],
        },
    )

    network: Annotated[Literal["bluesky", "mastodon"], BeforeValidator(_consent_page_hint)] = Field(
        default="bluesky",
        description="bluesky or mastodon; X, LinkedIn, Facebook, Instagram and Threads connect through "
        "GET /channels/{network}/connect",
    )
    identifier: str | None = Field(
        default=None,
        min_length=1,
        max_length=253,
        pattern=r"^[^\s\x00-\x1f\x7f]+$",
        description="Bluesky: the account's handle, DID or e-mail",
    )
    app_password: Secret | None = Field(
        default=None, description="Bluesky: an app password; checked now, stored encrypted, never returned"
    )
    access_token: Secret | None = Field(
        default=None, description="Mastodon: an access token (scopes read, write); checked now, never returned"
    )
    service_url: str | None = Field(
        default=None,
        pattern=r"^https?://[A-Za-z0-9.-]+(:\d+)?/?$",  # an ASCII host (an IDN in its xn-- form)
        description=(
            "Bluesky: the account's PDS (default https://bsky.social); Mastodon: the instance's URL. It must "
            "resolve to public addresses only and use port 80 or 443 (docs/security.md)"
        ),
    )
    time_zone: Zone = "UTC"  # for times given without one
    # what each network needs is named field by field by the route (parley.http.app._credential)


class EditChannel(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "anyOf": [{"required": [name]} for name in ("time_zone", "display_name", "paused")],
            "examples": [{"time_zone": "America/New_York"}, {"display_name": "Acme (EU)", "paused": True}],
        },
    )

    time_zone: Zone | Omitted = Field(
        default=None, description="The IANA zone a publish_at without an offset is read in on this channel"
    )
    display_name: Name | Omitted = Field(default=None, description="How the team calls it (default: its handle)")
    paused: bool | Omitted = Field(
        default=None,
        description="true: nothing goes out on it; what is due is held, and so is what is queued on it meanwhile."
        " false: held posts go on (one whose time passed: by the workspace's past-due rule)",
    )

    _not_null = field_validator("time_zone", "display_name", "paused", mode="before")(not_null)

    @model_validator(mode="after")
    def something_to_change(self) -> EditChannel:
        if self.time_zone is None and self.display_name is None and self.paused is None:
            raise ValueError("give at least one of time_zone, display_name, paused")
        return self


class Override(BaseModel):
    # text or media, or both; neither is null (leave it out)
    model_config = ConfigDict(
        extra="forbid", strict=True, json_schema_extra={"anyOf": [{"required": ["text"]}, {"required": ["media"]}]}
    )

    text: PostText | Omitted = Field(default=None, description="What this network gets instead of the post's text")
    media: Annotated[list[Id], Field(max_length=10)] | Omitted = Field(
        default=None, description="Media ids this network gets instead of the post's (docs/media.md)"
    )

    _not_null = field_validator("text", "media", mode="before")(not_null)

    @model_validator(mode="after")
    def something_to_override(self) -> Override:
        if self.text is None and self.media is None:
            raise ValueError("give text or media")
        return self


class TextOverride(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    text: str = text_field(10_000, "What this network gets instead of the post's text")

    @model_validator(mode="before")
    @classmethod
    def no_media_changes(cls, data: object) -> object:
        if isinstance(data, dict) and "media" in data:
            raise ValueError("images cannot be changed by an edit: cancel the post and queue it again")
        return data


class LinkCardFields(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    url: Url | Omitted = Field(default=None, description="The card's link")
    title: TitleText | Omitted = None
    description: ShortText | Omitted = None
    thumbnail_url: Url | Omitted = None

    _not_null = field_validator("url", "title", "description", "thumbnail_url", mode="before")(not_null)


Overrides = dict[Literal["bluesky", "mastodon", "x"], Override]
Variants = Annotated[list[PostText], Field(max_length=10)]


class RepeatFields(BaseModel):
    # a series (rrule, tz) or evergreen (every_days, until); docs/recurring.md
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "oneOf": [{"required": ["rrule"]}, {"required": ["every_days", "until"]}],
            "examples": [
                {"rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=6", "tz": "America/New_York"},
                {"every_days": 30, "until": "2030-12-31T00:00:00Z", "variants": ["Still 20% off: example.com/sale"]},
            ],
        },
    )

    rrule: Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=LINE_PATTERN)] | Omitted = Field(
        default=None,
        description="An RFC 5545 RRULE (FREQ DAILY, WEEKLY, MONTHLY or YEARLY, with COUNT or UNTIL, at most 100 "
        "occurrences) read from publish_at in `tz`: the time of day stays the same local time across DST",
    )
    tz: Zone | Omitted = Field(default=None, description="The series' IANA zone (default: time_zone)")
    every_days: Annotated[int, Field(ge=1, le=365)] | Omitted = Field(
        default=None, description="Evergreen: queued again (next free slot) this many days after it goes out"
    )
    until: PublishAt | Omitted = Field(default=None, description="Evergreen: not queued again after this time")
    variants: Variants | Omitted = Field(
        default=None, description="Texts rotated per occurrence after the post's own (X refuses a word-for-word repeat)"
    )

    _not_null = field_validator("rrule", "tz", "every_days", "until", "variants", mode="before")(not_null)

    @field_validator("every_days", mode="before")
    @classmethod
    def whole_number(cls, value: Any) -> Any:
        # JSON Schema's integer includes 30.0 (a number with no fraction); strict pydantic would refuse it
        return int(value) if isinstance(value, float) and value.is_integer() else value

    @model_validator(mode="after")
    def one_kind_of_repeat(self) -> RepeatFields:
        # the schema's oneOf, held on every route that takes a post (POST /posts, validate, preview)
        evergreen = self.every_days is not None and self.until is not None
        if self.rrule is not None and evergreen:
            raise ValueError("a series (rrule) or evergreen (every_days and until), not both")
        if self.rrule is None and not evergreen:
            missing = "until" if self.every_days is not None else "every_days" if self.until is not None else "rrule"
            raise ValueError(f"{missing} is missing: give rrule (a series) or every_days and until (evergreen)")
        return self


class ThreadPart(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    text: str = text_field(10_000, "This part's text, checked against each network's rules as the post's is")


class FirstComment(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    text: str = text_field(10_000, "The comment's text, checked against each network's rules as the post's is")


class CreatePost(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "text": "Spring sale: 20% off everything until Sunday https://example.com/sale",
                    "channels": ["ch_01m8zg3q7k2v9x4t6b8n0c5dre"],
                    "publish_at": "2030-01-15T09:00:00Z",
                    "campaign": "spring-sale",
                    "overrides": {"x": {"text": "20% off until Sunday https://example.com/sale"}},
                },
                {
                    "text": "Our new store opens tomorrow morning.",
                    "channels": ["ch_01m8zg3q7k2v9x4t6b8n0c5dre"],
                    "publish_at": "2030-01-15T09:00:00",
                    "time_zone": "Europe/Paris",
                    "media": ["m_01m8zgb2xw5c0r7y3k9d4f6hta"],
                },
                {
                    "text": "Tuesday tips: scheduling",
                    "channels": ["ch_01m8zg3q7k2v9x4t6b8n0c5dre"],
                    "publish_at": "2030-01-15T09:00:00",
                    "time_zone": "America/New_York",
                    "repeat": {"rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=6", "variants": ["Tuesday tips: the queue"]},
                },
                {
                    "text": "We are launching parley 2 today. A thread on what is new (1/3)",
                    "channels": ["ch_01m8zg3q7k2v9x4t6b8n0c5dre"],
                    "publish_at": "2030-01-15T09:00:00Z",
                    "thread": [
                        {"text": "Threads go out part by part, each exactly once (2/3)"},
                        {"text": "A part that fails for good leaves the delivery partial, and says why (3/3)"},
                    ],
                    "first_comment": {"text": "Read the release notes: https://example.com/parley-2"},
                },
            ]
        },
    )

    text: str = text_field(10_000, "The post as the marketer wrote it")
    overrides: Overrides | None = Field(default=None, description="Per-network text, e.g. a shorter one for X")
    channels: list[Id] = Field(
        min_length=1,
        max_length=posts.MAX_CHANNELS,
        json_schema_extra={"uniqueItems": True},
        description="Channel ids to publish on",
    )
    publish_at: PublishAt | Literal["next_slot"] | None = Field(
        default=None,
        description="ISO 8601 with an offset (2026-11-23T10:00:00+01:00, ...Z) or a zone "
        "(2026-11-23T10:00:00[Europe/Paris]), or a local time with time_zone; or `next_slot`: the next free "
        "slot of each channel's posting times (docs/queue.md). Absent: a draft (docs/approval.md)",
    )
    status: Literal["draft"] | None = Field(
        default=None, description='"draft": stored and editable, not queued, even with a publish_at'
    )
    time_zone: Zone | None = Field(default=None, description="IANA zone for a publish_at without an offset")
    campaign: Name | None = Field(default=None, description="Its campaign (utm_campaign of its short links)")
    media: list[Id] = Field(
        default_factory=list, max_length=10, description="Media ids (POST /media), in order; checked per network"
    )
    link_card: LinkCardFields | None = Field(
        default=None,
        description="Link card fields that supply or override the page's own (used when there is no image)",
    )
    repeat: RepeatFields | None = Field(
        default=None, description="A recurring (rrule) or evergreen (every_days) post: docs/recurring.md"
    )
    thread: list[ThreadPart] | None = Field(
        default=None,
        min_length=1,
        max_length=threads.MAX_PARTS,
        description="The parts after the first (`text`), in order: a thread (docs/threads.md). Each part is checked "
        "against every network's rules (a problem names `thread[i].text`, i from 0); a network without threads "
        "refuses it unless thread_mode is comments",
    )
    first_comment: FirstComment | None = Field(
        default=None,
        description="The account's own reply (Bluesky, Mastodon, X, Threads) or comment (LinkedIn organization "
        "pages, Facebook, Instagram) under the post, posted right after it (after the thread's last part), exactly "
        "once; refused where parley cannot post one (a LinkedIn member profile)",
    )
    thread_mode: Literal["replies", "comments"] | None = Field(
        default=None,
        description="replies (the default): each part replies to the one before, the network's own thread; "
        "comments: each part is the account's own reply or comment under the first (how LinkedIn, Facebook Pages "
        "and Instagram take a thread)",
    )


TextOverrides = Annotated[dict[Literal["bluesky", "mastodon", "x"], TextOverride], Field(min_length=1)]


class EditPost(BaseModel):
    # at least one of text, overrides, publish_at, campaign; none of them null (leave it out)
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "anyOf": [{"required": [name]} for name in ("text", "overrides", "publish_at", "campaign", "variants")],
            "examples": [
                {"text": "Spring sale: 25% off everything until Sunday https://example.com/sale"},
                {"publish_at": "2030-01-16T10:00:00+01:00", "overrides": {"x": {"text": "25% off until Sunday"}}},
            ],
        },
    )

    text: PostText | Omitted = None
    overrides: Annotated[dict[Literal["bluesky", "mastodon", "x"], TextOverride], Field(min_length=1)] | Omitted = (
        Field(default=None, description="Per-network texts to set (others are kept; images cannot change)")
    )
    publish_at: PublishAt | Omitted = Field(
        default=None,
        description="The new time; on a draft, its scheduling, checked as POST /posts checks (a contributor's, "
        "with approval on: its submission for approval)",
    )
    time_zone: Zone | Omitted = None
    campaign: Name | Omitted = None
    scope: Literal["this", "future"] | Omitted = Field(
        default=None,
        description='An occurrence of a repeating post: "future" edits the series (this occurrence if it has not '
        'gone out, and the ones to come); "this" (the default) this occurrence only',
    )
    variants: Variants | Omitted = Field(default=None, description='With scope "future": the series\' variants')

    _not_null = field_validator(
        "text", "overrides", "publish_at", "time_zone", "campaign", "scope", "variants", mode="before"
    )(not_null)

    @model_validator(mode="after")
    def something_to_change(self) -> EditPost:
        nothing = self.text is None and self.publish_at is None and self.campaign is None and not self.overrides
        if nothing and self.variants is None:
            raise ValueError("give at least one of text, overrides, publish_at, campaign, variants")
        return self


class EditSeries(BaseModel):
    # at least one of text, variants, overrides, campaign; none of them null (leave it out)
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "anyOf": [{"required": [name]} for name in ("text", "variants", "overrides", "campaign")],
            "examples": [
                {"text": "Tuesday tips: this week, scheduling", "variants": ["Tuesday tips, part two: the queue"]},
                {"overrides": {"x": {"text": "Tuesday tips on X"}}},
            ],
        },
    )

    text: PostText | Omitted = Field(default=None, description="What the occurrences to come get")
    variants: Variants | Omitted = Field(default=None, description="Texts rotated per occurrence after `text`")
    overrides: TextOverrides | Omitted = Field(default=None, description="Per-network texts to set")
    campaign: Name | Omitted = None

    _not_null = field_validator("text", "variants", "overrides", "campaign", mode="before")(not_null)

    @model_validator(mode="after")
    def something_to_change(self) -> EditSeries:
        if self.text is None and self.variants is None and not self.overrides and self.campaign is None:
            raise ValueError("give at least one of text, variants, overrides, campaign")
        return self


class RejectPost(BaseModel):
    model_config = ConfigDict(
        extra="forbid", strict=True, json_schema_extra={"examples": [{"comment": "Too early: wait for the launch"}]}
    )

    comment: str = text_field(1000, "Why, for the post's writer (kept in its history)", min_length=1)

    @field_validator("comment")
    @classmethod
    def some_words(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("say why the post is rejected")
        return value


class ApprovalSetting(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [{"required": False}]})

    required: bool = Field(description="true (the default): contributors' posts wait for an editor's approval")
