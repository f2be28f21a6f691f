"""What the rooms need of PynamoDB to write conditionally, so that `store` stays the one room that imports
it: the errors a refused write raises, conditions and update actions for typing, and one transaction."""

from __future__ import annotations

from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

__all__ = ["Action", "Condition", "DeleteError", "PutError", "TransactWrite", "UpdateError", "transaction"]


def transaction() -> TransactWrite:
    """A TransactWriteItems of up to 100 conditional writes: all of them happen, or none."""
    return TransactWrite(connection=Connection())
