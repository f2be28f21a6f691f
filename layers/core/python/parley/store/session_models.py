"""The web app's browser sessions and one-time sign-in links (parley.team.sessions), kept in the tokens table
beside the API tokens and the calendar feeds: that table is where secrets are looked up by their hash. Two kinds
of item, told apart by their key's prefix, neither of which an API token's key (a bare SHA-256 in hex) can equal:

- `web-session#<sha256 of the cookie's value>`: a signed-in browser (one GetItem per page);
- `login-link#<sha256 of the link's code>`: a sign-in link `parley admin login-link` printed (single use).

Their attributes are named `session_*` so that neither kind is in the API tokens' indexes (`by_token_id`,
`by_member` are keyed on `token_id` and `member_id`): listing or revoking API tokens never meets a session.
Ending a session or using a link is an update (`session_ended_at`), never a delete: the functions' access to
the table has no DeleteItem. `expires` (epoch seconds) is the tokens table's TTL attribute (the CDK app's
`infra/parley_cdk/data.py`), which sweeps spent sessions and links away; the code never trusts it (DynamoDB
deletes expired items up to days late): `session_expires_at` decides."""

from __future__ import annotations

from pynamodb.attributes import TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from parley.shared.names import Table, physical_name

SESSION_PREFIX = "web-session#"
LINK_PREFIX = "login-link#"


class SessionRecord(Model):
    """A browser session or a sign-in link (which kind: its key's prefix, above)."""

    class Meta:
        table_name = physical_name(Table.TOKENS)  # bound with the tokens table (store.models.bind)

    token_hash = UnicodeAttribute(hash_key=True)  # the tokens table's key, with one of the prefixes above
    session_workspace_id = UnicodeAttribute()
    session_member_id = UnicodeAttribute()
    session_created_at = UTCDateTimeAttribute()
    session_expires_at = UTCDateTimeAttribute()  # after this, refused (fixed: not extended by use)
    session_csrf = UnicodeAttribute(null=True)  # a session's CSRF token (random; its forms and htmx requests carry it)
    session_ended_at = UTCDateTimeAttribute(null=True)  # signed out (a session) or used (a link)
    expires = TTLAttribute(null=True)  # the table's TTL sweep (epoch seconds); not relied on
