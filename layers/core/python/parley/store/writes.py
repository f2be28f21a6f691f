"""What the rooms need of PynamoDB to write conditionally, so that `store` stays the one room that imports
it: the errors a refused write raises, conditions and update actions for typing, and one transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

if TYPE_CHECKING:
    from pynamodb.transactions import TransactWrite

__all__ = ["Action", "Condition", "DeleteError", "PutError", "TransactWriteError", "UpdateError", "transaction"]


def transaction() -> TransactWrite:
    """A TransactWriteItems of up to 100 conditional writes: all of them happen, or none. On the models' own
    connection (reset by `bind`): a new one per transaction would build a botocore client each time, a third
    of a second per queued post (a CSV import queues hundreds)."""
    from pynamodb.transactions import TransactWrite  # only where posts are queued: cold imports stay lean

    from parley.store.models import PostRecord

    return TransactWrite(connection=PostRecord._get_connection().connection)
