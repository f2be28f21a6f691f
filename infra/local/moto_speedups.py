"""Where moto is slow for what parley asks of it, a faster way to the same answer; and where its server is
less atomic than DynamoDB, one request at a time.

The local runtime (and the tests' endpoint) install these once per process; each is checked against moto's
own outcome in tests/unit (test_local_moto_*.py). The speed-ups change how fast moto answers, never what it
answers.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
from typing import Any

_projection_installed = False


def install_single_pass_projection() -> None:
    """moto's `Item.project` turns the whole item into plain JSON (a deep copy) once per projected attribute:
    a Query of 500 items with 11 attributes makes 5,500 copies, and reads of the calendar spent 70% of their
    time there. This makes one copy per item, and none for top-level attributes; what is projected is the
    same. Idempotent."""
    global _projection_installed
    from moto.dynamodb.models import dynamo_type
    from moto.dynamodb.models.utilities import find_nested_key

    if _projection_installed:
        return

    def project(self: dynamo_type.Item, projection_expressions: list[list[str]]) -> dynamo_type.Item:
        if all(len(path) == 1 and "[" not in path[0] for path in projection_expressions):
            return _top_level(self, [path[0] for path in projection_expressions])
        whole = self.to_regular_json()  # a fresh copy: nothing below can change the stored item
        result: dict[str, Any] = {}
        for expression in projection_expressions:
            dynamo_type.merge_dicts(result, find_nested_key(expression, whole))
        attrs = dynamo_type.serializer.serialize(result)["M"]
        return dynamo_type.Item(hash_key=self.hash_key, range_key=self.range_key, attrs=attrs)

    dynamo_type.Item.project = project  # type: ignore[method-assign]
    _projection_installed = True


def _top_level(item: Any, names: list[str]) -> Any:
    """Top-level attributes only (what PynamoDB's `attributes_to_get` asks for): a new item holding the same
    values, neither copied nor size-checked again (the stored item passed the check; nothing on the way out
    changes a value: moto's answer is built from fresh dicts)."""
    from moto.dynamodb.models.dynamo_type import Item, LimitedSizeDict

    projected: Any = Item.__new__(Item)
    projected.hash_key, projected.range_key = item.hash_key, item.range_key
    attrs = LimitedSizeDict.__new__(LimitedSizeDict)
    dict.__init__(attrs)
    for name in names:
        if name in item.attrs:
            dict.__setitem__(attrs, name, item.attrs[name])
    projected.attrs = attrs
    return projected


_transactions_installed = False


class _TablesNotCopied:
    """What `moto.dynamodb.models` sees as `copy`: a table is not deep-copied (the transaction below keeps
    the items it touches instead); everything else is copied as before."""

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def install_item_level_transactions() -> None:
    """moto's TransactWriteItems deep-copies every table it touches to roll back on a failed condition: with
    100,000 posts stored, one `POST /posts` took seconds and then timed out. This keeps a copy of the items
    the transaction names instead (at most 100), and puts them back if it fails: the same outcome, at the
    cost of the transaction's own items. Idempotent."""
    global _transactions_installed
    import moto.dynamodb.models as dynamodb_models

    if _transactions_installed:
        return
    backend_class = dynamodb_models.DynamoDBBackend
    original = backend_class.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        before = []
        for item in transact_items:
            op_type, op = next(iter(item.items()))
            name = op.get("TableName")
            if name not in self.tables:
                continue
            table = self.tables[name]
            key = op.get("Key")
            if op_type == "Put" and isinstance(op.get("Item"), dict):
                names = [n for n in (table.hash_key_attr, table.range_key_attr) if n is not None]
                key = {n: op["Item"][n] for n in names if n in op["Item"]}
            if not key:
                continue
            try:
                current = self.get_item(name, key)
            except Exception:  # a malformed key: moto's own checks answer for it below
                continue
            before.append((name, key, copy.deepcopy(current)))
        try:
            original(self, transact_items)
        except Exception:
            for name, key, item in reversed(before):
                if item is None:
                    self.delete_item(name, key)
                else:
                    self.put_item(name, item.to_json()["Attributes"])
            raise

    dynamodb_models.copy = _TablesNotCopied  # type: ignore[assignment]
    backend_class.transact_write_items = transact_write_items  # type: ignore[method-assign]
    _transactions_installed = True


_uncopied_results_installed = False


class _ReadResultsNotCopied:
    """What `moto.dynamodb.models.table` sees as `copy`: the items a Query or Scan found are not deep-copied
    before they are answered. Nothing on the way out changes them: a projection builds new items
    (`install_single_pass_projection`) and the answer is built from fresh dicts (moto's `dynamo_to_dict`).
    Everything else (a table's backup, a restore) is copied as before."""

    copy = staticmethod(copy.copy)

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        from moto.dynamodb.models.dynamo_type import Item

        if isinstance(value, Item):
            return value
        if isinstance(value, list) and all(isinstance(v, Item) for v in value):
            return list(value)
        return copy.deepcopy(value, memo)


def install_uncopied_read_results() -> None:
    """moto deep-copies every item a Query or Scan finds, then projects it (another copy): a month of the
    calendar spent a seventh of its time there. This keeps the one copy the projection makes. Idempotent."""
    global _uncopied_results_installed
    from moto.dynamodb.models import table

    if _uncopied_results_installed:
        return
    table.copy = _ReadResultsNotCopied  # type: ignore[assignment]
    _uncopied_results_installed = True


_sort_installed = False


def install_plain_value_sort() -> None:
    """moto sorts a Query's partition on every call by DynamoType objects, each comparison a Python call
    (`__lt__`, then `cast_value`): with 20,000 deliveries stored, most of a calendar month's time. This sorts
    by the plain values those comparisons compare (a key attribute is one type: S, N or B), read once per
    item: the same order. Idempotent."""
    global _sort_installed
    from moto.dynamodb.models.table import Table

    if _sort_installed:
        return

    def sorted_items(
        self: Table, hash_key_attrs: list[str], range_key_attrs: list[str | None], items: list[Any]
    ) -> Any:
        attrs = self._generate_attr_to_sort_by(hash_key_attrs, range_key_attrs)
        items.sort(key=lambda item: tuple(item.attrs[name].cast_value for name in attrs))
        return items

    Table.sorted_items = sorted_items  # type: ignore[method-assign]
    _sort_installed = True


_atomic_installed = False
# One DynamoDB request at a time (reentrant: a handler may call another).
DYNAMODB_LOCK = threading.RLock()


def install_one_request_at_a_time() -> None:
    """DynamoDB makes each request atomic: a transaction's conditions and writes, an update's read and write.
    moto's server answers requests on many threads at once with nothing between them, so a transaction that
    fails and rolls back can put back an item another request wrote meanwhile (seen: two racing schedules of
    one draft left the post without its time). This runs moto's DynamoDB requests one at a time; they hold
    the GIL anyway, so little is lost. Idempotent."""
    global _atomic_installed
    from moto.dynamodb.responses import DynamoHandler

    if _atomic_installed:
        return
    call_action = DynamoHandler.call_action

    def one_at_a_time(self: DynamoHandler) -> Any:
        with DYNAMODB_LOCK:
            return call_action(self)

    DynamoHandler.call_action = one_at_a_time  # type: ignore[method-assign]
    _atomic_installed = True


_direct_reads_installed = False
# DynamoDB's reads: their results are items already in DynamoDB's JSON ({"S": ...}), which moto's serializer
# walks value by value against the service model (half of moto's time in a month of the calendar).
DIRECT_JSON_READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan"})
JSON_CONTENT_TYPE = "application/x-amz-json-1.0"


def _bytes_as_base64(value: Any) -> str:
    if isinstance(value, bytes):  # a B or BS value: DynamoDB's JSON carries binary as base64
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not in a DynamoDB read's answer")


def direct_json_body(result: dict[str, Any]) -> str:
    """A read's answer as DynamoDB's JSON protocol writes it."""
    return json.dumps(result, default=_bytes_as_base64, separators=(",", ":"))


def install_direct_json_reads() -> None:
    """DynamoDB's GetItem, BatchGetItem, Query and Scan answer with their result written as JSON directly,
    not through moto's shape-driven serializer: the same body, without walking every attribute value.
    Errors and every other action still go through moto's serializer. Idempotent."""
    global _direct_reads_installed
    from moto.core.responses import ActionResult
    from moto.dynamodb.responses import DynamoHandler

    if _direct_reads_installed:
        return
    serialized = DynamoHandler.serialized

    def direct(self: DynamoHandler, action_result: ActionResult) -> Any:
        result = action_result.result
        if self._get_action() not in DIRECT_JSON_READS or not isinstance(result, dict):
            return serialized(self, action_result)
        headers = {"Content-Type": JSON_CONTENT_TYPE, **self.response_headers}
        return 200, headers, direct_json_body(result)

    DynamoHandler.serialized = direct  # type: ignore[method-assign,assignment]
    _direct_reads_installed = True


def install_all() -> None:
    """Everything above: the local runtime's endpoint and the tests' install the same."""
    install_one_request_at_a_time()
    install_single_pass_projection()
    install_item_level_transactions()
    install_uncopied_read_results()
    install_plain_value_sort()
    install_direct_json_reads()
