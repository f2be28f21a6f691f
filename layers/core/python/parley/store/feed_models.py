"""Members' calendar feeds (parley.team.feeds), kept in the tokens table beside the API tokens: that table is
where secrets are looked up by their hash, and a feed token is one more such secret. Two kinds of item, told
apart by their key's prefix, neither of which an API token's key (a bare SHA-256 in hex) can ever equal:

- `calendar-feed#<sha256 of the secret>`: the secret, found by the feed URL's `token` (one GetItem);
- `calendar-feed-of#<workspace_id>#<member_id>`: the member's feed (exists? since when? which secret?).

Their attributes are named `feed_*` so that neither kind is in the API tokens' indexes (`by_token_id`,
`by_member` are keyed on `token_id` and `member_id`): listing or revoking API tokens never meets a feed.
Items are never deleted (the API's access to the table has no DeleteItem): a revoked or rotated secret
carries `feed_revoked_at`."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from parley.shared.names import Table, physical_name

SECRET_PREFIX = "calendar-feed#"
MEMBER_PREFIX = "calendar-feed-of#"


class FeedRecord(Model):
    """One item of a member's calendar feed (which kind: its key's prefix, above)."""

    class Meta:
        table_name = physical_name(Table.TOKENS)  # bound with the tokens table (store.models.bind)

    token_hash = UnicodeAttribute(hash_key=True)  # the tokens table's key, with one of the prefixes above
    feed_workspace_id = UnicodeAttribute()
    feed_member_id = UnicodeAttribute()
    feed_created_at = UTCDateTimeAttribute()  # when this secret was made
    feed_secret_key = UnicodeAttribute(null=True)  # the member's item: the key of the current secret's item
    feed_revoked_at = UTCDateTimeAttribute(null=True)  # a secret's item: revoked or replaced since
