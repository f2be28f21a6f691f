"""Connected accounts. Connecting checks the credential by opening a session before accepting it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from parley.connect import credentials
from parley.connect.adapters import adapter_for
from parley.networks.base import Account, Credential, InvalidCredential, TransientNetworkError
from parley.networks.registry import NETWORKS
from parley.shared import clock, ids, outbound
from parley.shared.config import Settings
from parley.shared.errors import FieldProblem, NotFound, OutboundFailed, OutboundRefused, ValidationFailed
from parley.shared.timeparse import zone
from parley.store import Action, ChannelRecord, UpdateError
from parley.team.members import Principal, Role
from parley.webhooks.events import EventType, emit

if TYPE_CHECKING:
    from parley.networks.mastodon import MastodonLimits


ACTIVE = "active"
NEEDS_REAUTH = "needs_reauth"
SECRET_FIELD = {"bluesky": "app_password", "mastodon": "access_token", "x": "code"}
SECRET_FIELD |= {"linkedin": "access_token", "facebook": "access_token"}
CHOSEN_SERVER = frozenset({"bluesky", "mastodon"})  # networks whose account names its server (service_url)


class NoSessions:
    """Verification opens a session only to check the credential; the publish path keeps its own."""

    def load(self) -> dict[str, str] | None:
        return None

    def save(self, session: dict[str, str]) -> None:
        return None


def connect(
    principal: Principal, settings: Settings, network: str, credential: Credential, time_zone: str = "UTC"
) -> tuple[ChannelRecord, bool]:
    """Connect an account (True: a new channel), or reconnect one already connected (False): its new
    credential replaces the old one and the channel is active again (after `needs_reauth`)."""
    principal.require(Role.EDITOR)
    if network not in NETWORKS:
        raise ValidationFailed(FieldProblem("network", f"must be one of {', '.join(NETWORKS)}"))
    zone(time_zone)
    if network in CHOSEN_SERVER:
        check_server(credential.service_url)
    try:
        account: Account = adapter_for(network, credential, NoSessions()).verify(credential)
    except InvalidCredential as exc:
        raise ValidationFailed(FieldProblem(SECRET_FIELD.get(network, "app_password"), exc.reason)) from exc
    except TransientNetworkError as exc:
        raise ValidationFailed(FieldProblem("service_url", f"could not reach the service: {exc.reason}")) from exc

    return connect_account(principal, settings, network, account, credential, time_zone)


def check_server(service_url: str) -> None:
    """A server the person chose is reached under the outbound fetcher's rules (public addresses only, or
    the allow-list): refused here with the reason, before any credential is sent to it."""
    try:
        outbound.check_url(service_url)
    except OutboundRefused as exc:
        raise ValidationFailed(FieldProblem("service_url", f"parley does not connect to this address: {exc}")) from exc
    except OutboundFailed as exc:
        raise ValidationFailed(FieldProblem("service_url", f"could not reach the service: {exc}")) from exc


def connect_account(
    principal: Principal,
    settings: Settings,
    network: str,
    account: Account,
    credential: Credential,
    time_zone: str = "UTC",
) -> tuple[ChannelRecord, bool]:
    """Keep an account its network already vouched for (an OAuth connection read it with its new token)."""
    principal.require(Role.EDITOR)
    zone(time_zone)
    for existing in ChannelRecord.query(principal.workspace_id):
        if existing.network == network and existing.remote_id == account.remote_id:
            return _reconnect(existing, account, credential), False

    max_characters, url_length = _text_limits(network, credential)
    channel_id = "ch_" + ids.new_id()
    parameter = credentials.credential_parameter(settings.parameter_prefix, principal.workspace_id, channel_id)
    credentials.save_credential(parameter, credential)
    record = ChannelRecord(
        principal.workspace_id,
        channel_id,
        network=network,
        handle=account.handle,
        remote_id=account.remote_id,
        service_url=credential.service_url,
        credential_parameter=parameter,
        time_zone=time_zone,
        max_characters=max_characters,
        url_length=url_length,
        media_limits=_media_limits(network, credential),
        created_at=clock.now(),
        created_by=principal.member_id,
    )
    record.save(condition=ChannelRecord.channel_id.does_not_exist())
    return record, True


def _reconnect(record: ChannelRecord, account: Account, credential: Credential) -> ChannelRecord:
    credentials.save_credential(record.credential_parameter, credential)
    credentials.delete_session(record.credential_parameter)  # made with the old credential
    record.update(
        actions=[
            ChannelRecord.handle.set(account.handle),
            ChannelRecord.service_url.set(credential.service_url),
            ChannelRecord.status.set(ACTIVE),
            ChannelRecord.status_reason.remove(),
            # a poll's adapter kept in a container (connect.kept_adapters) is made again with the new one
            ChannelRecord.credential_set_at.set(clock.now()),
        ]
    )
    return record


def mark_needs_reauth(workspace_id: str, channel_id: str, reason: str) -> bool:
    """The network refused the channel's credential: stop using it until someone reconnects it.
    True when this call made the change (so the metric and the alarm count a channel once)."""
    try:
        ChannelRecord(workspace_id, channel_id).update(
            actions=[ChannelRecord.status.set(NEEDS_REAUTH), ChannelRecord.status_reason.set(reason)],
            condition=(ChannelRecord.status == ACTIVE) & ChannelRecord.channel_id.exists(),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    # once per time it happens (the condition above lets one caller through), so the time tells them apart
    subject = f"{channel_id}@{clock.now().isoformat()}"
    emit(workspace_id, EventType.CHANNEL_NEEDS_REAUTH, subject, {"channel_id": channel_id, "reason": reason})
    return True


def list_channels(workspace_id: str) -> list[ChannelRecord]:
    return list(ChannelRecord.query(workspace_id))


def get_channel(workspace_id: str, channel_id: str) -> ChannelRecord:
    try:
        return ChannelRecord.get(workspace_id, channel_id)
    except ChannelRecord.DoesNotExist as exc:
        raise NotFound(f"no channel {channel_id}") from exc


def get_channels(workspace_id: str, channel_ids: list[str]) -> dict[str, ChannelRecord]:
    """The workspace's channels among `channel_ids`, by id, in one batched read (missing ones are absent)."""
    wanted = list(dict.fromkeys(channel_ids))
    if not wanted:
        return {}
    return {c.channel_id: c for c in ChannelRecord.batch_get([(workspace_id, cid) for cid in wanted])}


def change(
    principal: Principal, channel_id: str, *, time_zone: str | None = None, display_name: str | None = None
) -> ChannelRecord:
    """Its default zone (for posts queued on it from now on) or its display name."""
    principal.require(Role.EDITOR)
    record = get_channel(principal.workspace_id, channel_id)
    actions: list[Action] = []
    if time_zone is not None:
        zone(time_zone)
        actions.append(ChannelRecord.time_zone.set(time_zone))
    if display_name is not None:
        actions.append(ChannelRecord.display_name.set(display_name))
    if actions:
        record.update(actions=actions, condition=ChannelRecord.channel_id.exists())
    return record


def _text_limits(network: str, credential: Credential) -> tuple[int | None, int | None]:
    """A Mastodon instance says how long a post may be; kept on the channel for queue-time checks."""
    if network != "mastodon":
        return None, None
    from parley.networks.mastodon import MastodonAdapter

    try:
        limits = MastodonAdapter(credential, NoSessions()).limits()
    except TransientNetworkError:
        return None, None  # the defaults apply (500 characters, links as 23)
    return limits.max_characters, limits.characters_reserved_per_url


def text_limits(channel: ChannelRecord) -> MastodonLimits | None:
    """The channel's own text limits for `registry.check_text` (Mastodon), or None for the network's."""
    if channel.network != "mastodon" or channel.max_characters is None:
        return None
    from parley.networks.mastodon import DEFAULT_LIMITS, MastodonLimits

    return MastodonLimits(
        max_characters=int(channel.max_characters),
        characters_reserved_per_url=int(channel.url_length or DEFAULT_LIMITS.characters_reserved_per_url),
    )


def _media_limits(network: str, credential: Credential) -> dict[str, Any] | None:
    """A Mastodon instance says which images it takes (docs/media.md); kept like its text limits."""
    if network != "mastodon":
        return None
    from parley.networks.mastodon import MastodonAdapter

    try:
        media = MastodonAdapter(credential, NoSessions()).limits().media  # cached: no second request
    except TransientNetworkError:
        return None  # Mastodon's defaults apply
    if media is None:
        return None
    return {"max_images": media.max_images, "max_bytes": media.max_bytes, "types": sorted(media.types)}
