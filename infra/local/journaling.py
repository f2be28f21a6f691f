"""Writes to the embedded AWS, journaled before they are answered, and replayed after a crash.

`Journaling` is a WSGI middleware around moto's server app. A request that writes to what the snapshot
keeps (DynamoDB, Scheduler, SSM, S3, Secrets Manager, SQS) runs with the journal's writes held, and when it
succeeded (2xx) its line is appended and flushed to disk before the response goes back. Reads, failed
writes, and what a restart need not bring back are not journaled: SQS receives and visibility changes (after
a crash a message in flight is visible again, as after its visibility timeout), and other services'
writes (SNS, CloudWatch: not in the snapshot either).

Most writes are kept as the request itself (method, URI, headers, body) and replayed as they came. SQS
sends and deletes are kept by message id instead (`sqs_messages`): a replayed send would make a new id, and
receipt handles do not outlive the receive that made them. So a message deleted before the crash stays
deleted, one written down twice (snapshot and journal) is put back once, and a delay ends at its time.

moto's own recorder (`moto_api/_internal/recorder`) does not fit: it records every request, reads and failed
ones too, before it is handled and without flushing it to disk, and its replay makes new message ids.
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlsplit

from moto.core.request import PRESERVED_HEADER_NAMES_ENVIRON_KEY
from werkzeug.wsgi import get_input_stream

from . import sqs_messages
from .journal import Journal, JournalError, from_jsonable, to_jsonable

if TYPE_CHECKING:
    from .firer import Firer

log = logging.getLogger("parley.local.journaling")

JOURNALED_SERVICES = frozenset({"dynamodb", "scheduler", "ssm", "s3", "secretsmanager", "sqs"})
REST_SERVICES = frozenset({"scheduler", "s3"})  # the method says what a request does
_READ_PREFIXES = ("Get", "List", "Describe", "Scan", "Query", "BatchGet")
_SQS_NOT_KEPT = frozenset({"ReceiveMessage", "ChangeMessageVisibility", "ChangeMessageVisibilityBatch"})
# Headers a replay must not repeat (the connection's own) or need not (the SDK's bookkeeping).
_DROPPED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "expect",
        "accept-encoding",
        "user-agent",
        "amz-sdk-invocation-id",
        "amz-sdk-request",
    }
)


@dataclass(frozen=True)
class Write:
    service: str
    operation: str  # the X-Amz-Target's or form's action; the method for REST services
    params: dict[str, Any] = field(default_factory=dict)  # a JSON-protocol request's body


def _operation(environ: dict[str, Any], body: bytes) -> str:
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    if target:
        return target.rsplit(".", 1)[-1]
    if str(environ.get("CONTENT_TYPE", "")).startswith("application/x-www-form-urlencoded"):
        return (parse_qs(body.decode("utf-8", "replace")).get("Action") or [""])[0]
    return ""


def classify(dispatcher: Any, environ: dict[str, Any], body: bytes) -> Write | None:
    """The write this request is, if it is one the journal keeps."""
    method = str(environ.get("REQUEST_METHOD", "GET")).upper()
    path = str(environ.get("PATH_INFO", ""))
    if method in ("GET", "HEAD", "OPTIONS") or path.startswith(("/moto-api", "/latest/")):
        return None  # moto's own controls (a reset!) and instance metadata are not AWS state
    host = dispatcher.infer_service_region_host(environ, path)
    service = dispatcher.get_backend_for_host(host) if host else "s3"  # moto's default, as for a presigned POST
    if service not in JOURNALED_SERVICES:
        return None
    if service in REST_SERVICES:
        return Write(service, method)
    operation = _operation(environ, body)
    if not operation or operation.startswith(_READ_PREFIXES):
        return None
    if service == "sqs" and operation in _SQS_NOT_KEPT:
        return None
    params: dict[str, Any] = {}
    if environ.get("HTTP_X_AMZ_TARGET"):
        try:
            loaded = json.loads(body or b"{}")
            params = loaded if isinstance(loaded, dict) else {}
        except ValueError:
            params = {}
    return Write(service, operation, params)


# --- the middleware ---------------------------------------------------------------------------------


def _read_body(environ: dict[str, Any]) -> bytes:
    """The whole body (a chunked one de-chunked), put back as a plain one for the app behind."""
    body = get_input_stream(environ).read()
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("wsgi.input_terminated", None)
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    return body


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    preserved: dict[str, str] = environ.get(PRESERVED_HEADER_NAMES_ENVIRON_KEY) or {}
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = preserved.get(key) or key[5:].replace("_", "-").title()
        elif key == "CONTENT_TYPE" and value:
            name = "Content-Type"
        else:
            continue
        if name.lower() not in _DROPPED_HEADERS:
            headers[name] = str(value)
    return headers


def _uri(environ: dict[str, Any]) -> str:
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return str(raw)
    query = environ.get("QUERY_STRING")
    return quote(str(environ.get("PATH_INFO", "/"))) + (f"?{query}" if query else "")


def request_entry(environ: dict[str, Any], body: bytes) -> dict[str, Any]:
    return {
        "k": "http",
        "m": environ.get("REQUEST_METHOD", "POST"),
        "u": _uri(environ),
        "h": _headers(environ),
        "b": base64.b64encode(body).decode("ascii"),
    }


class Journaling:
    """The middleware. `journal` is None while the runtime restores and replays (nothing is journaled)."""

    def __init__(self, account: str, region: str) -> None:
        self.account = account
        self.region = region
        self.journal: Journal | None = None
        self.app: Any = None  # moto's DomainDispatcherApplication, set by `wrap`

    def wrap(self, app: Any) -> Journaling:
        self.app = app
        return self

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        journal = self.journal
        if journal is None or str(environ.get("REQUEST_METHOD", "GET")).upper() in ("GET", "HEAD", "OPTIONS"):
            return self.app(environ, start_response)  # type: ignore[no-any-return]
        body = _read_body(environ)
        write = classify(self.app, environ, body)
        if write is None:
            return self.app(environ, start_response)  # type: ignore[no-any-return]
        try:
            with journal.writes_held():
                handles = self._receipt_handles(write)
                status, headers, chunks = _run(self.app, environ)
                seq = 0
                if 200 <= int(status.split(" ", 1)[0]) < 300:
                    for entry in self._entries(write, environ, body, chunks, handles):
                        seq = journal.append(entry)
            if seq:
                journal.sync(seq)
        except (OSError, JournalError):
            log.exception("could not journal a %s %s: answering 500", write.service, write.operation)
            return _failure(start_response)
        start_response(status, headers)
        return chunks

    # --- SQS by message id -------------------------------------------------------------------

    def _queue(self, write: Write) -> tuple[str, Any | None]:
        name = urlsplit(str(write.params.get("QueueUrl", ""))).path.rstrip("/").rsplit("/", 1)[-1]
        return name, (sqs_messages.backend_queue(name, self.account, self.region) if name else None)

    def _receipt_handles(self, write: Write) -> dict[str, str]:
        """Before a delete: the message id behind each receipt handle (after it, the message is gone)."""
        if write.service != "sqs" or write.operation not in ("DeleteMessage", "DeleteMessageBatch"):
            return {}
        _, queue = self._queue(write)
        if queue is None:
            return {}
        entries = write.params.get("Entries") or [write.params]
        return sqs_messages.ids_of(queue, [str(e.get("ReceiptHandle", "")) for e in entries])

    def _entries(
        self, write: Write, environ: dict[str, Any], body: bytes, chunks: list[bytes], handles: dict[str, str]
    ) -> list[dict[str, Any]]:
        if write.service == "sqs" and write.params and write.operation in _SQS_BY_ID:
            try:
                answer = json.loads(b"".join(chunks) or b"{}")
            except ValueError:
                answer = None
            if isinstance(answer, dict):
                kept = _SQS_BY_ID[write.operation](self, write, answer, handles)
                if kept is not None:
                    return kept
        return [request_entry(environ, body)]

    def _sent(self, write: Write, answer: dict[str, Any], handles: dict[str, str]) -> list[dict[str, Any]] | None:
        name, queue = self._queue(write)
        ids = [answer["MessageId"]] if "MessageId" in answer else [e["MessageId"] for e in answer.get("Successful", [])]
        at_ms = sqs_messages.now_ms()
        messages = [sqs_messages.find(queue, i) for i in ids] if queue is not None else [None]
        if any(m is None for m in messages):
            return None  # not to be found (cannot be, under the held writes): keep the request instead
        kept = [to_jsonable(sqs_messages.to_json(m, at_ms)) for m in messages]
        return [{"k": "sqs-send", "q": name, "messages": kept}]

    def _deleted(self, write: Write, answer: dict[str, Any], handles: dict[str, str]) -> list[dict[str, Any]] | None:
        name, _ = self._queue(write)
        if "Entries" in write.params:
            done = {e.get("Id") for e in answer.get("Successful", [])}
            wanted = [str(e.get("ReceiptHandle", "")) for e in write.params["Entries"] if e.get("Id") in done]
        else:
            wanted = [str(write.params.get("ReceiptHandle", ""))]
        ids = sorted({handles[h] for h in wanted if h in handles})
        return [{"k": "sqs-delete", "q": name, "ids": ids}] if ids else []


_SQS_BY_ID: dict[str, Callable[[Journaling, Write, dict[str, Any], dict[str, str]], list[dict[str, Any]] | None]] = {
    "SendMessage": Journaling._sent,
    "SendMessageBatch": Journaling._sent,
    "DeleteMessage": Journaling._deleted,
    "DeleteMessageBatch": Journaling._deleted,
}


def _run(app: Any, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], list[bytes]]:
    """Call the app and hold its whole answer back (nothing reaches the client before the journal)."""
    answered: dict[str, Any] = {}
    written: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], Any]:
        answered["status"], answered["headers"] = status, headers
        return written.append

    result = app(environ, start_response)
    try:
        chunks = written + list(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return answered["status"], answered["headers"], chunks


def _failure(start_response: Callable[..., Any]) -> list[bytes]:
    body = json.dumps({"__type": "InternalFailure", "message": "the local runtime could not journal this write"})
    start_response("500 Internal Server Error", [("Content-Type", "application/x-amz-json-1.0")])
    return [body.encode()]


# --- replay ---------------------------------------------------------------------------------------


@dataclass
class Replayed:
    applied: int = 0
    refused: int = 0  # requests the state already had (a conflict, a failed condition): nothing to do

    def __str__(self) -> str:
        return f"{self.applied} applied, {self.refused} already there"


def replay(
    entries: Iterable[dict[str, Any]], endpoint_url: str, account: str, region: str, firer: Firer | None
) -> Replayed:
    """Apply journal entries over the restored snapshot, in order. Safe over a state that already has some
    of them (the end of the journal before a snapshot's cut, or SQS messages kept by both)."""
    outcome = Replayed()
    parts = urlsplit(endpoint_url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=60)
    at_ms = sqs_messages.now_ms()
    try:
        for entry in entries:
            kind = entry.get("k")
            if kind == "http":
                ok = _send(connection, entry)
            elif kind in ("sqs-send", "sqs-delete"):
                queue = sqs_messages.backend_queue(str(entry.get("q")), account, region)
                if queue is None:
                    ok = False
                elif kind == "sqs-send":
                    ok = sqs_messages.put_back(queue, from_jsonable(entry["messages"]), at_ms) > 0
                else:
                    ok = sqs_messages.remove(queue, entry.get("ids", [])) > 0
            elif firer is not None:
                ok = firer.replay(entry)
            else:
                ok = False
            if ok:
                outcome.applied += 1
            else:
                outcome.refused += 1
    finally:
        connection.close()
    return outcome


def _send(connection: http.client.HTTPConnection, entry: dict[str, Any]) -> bool:
    body = base64.b64decode(entry.get("b") or "")
    connection.request(str(entry["m"]), str(entry["u"]), body=body, headers=dict(entry.get("h") or {}))
    response = connection.getresponse()
    answer = response.read()
    if 200 <= response.status < 300:
        return True
    log.debug("replayed %s %s: %s %s", entry["m"], entry["u"], response.status, answer[:200])
    return False
