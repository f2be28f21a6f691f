"""The embedded AWS endpoint: moto's server, in this process, following parley's clock.

moto runs in-process (`ThreadedMotoServer` on 127.0.0.1) so that the runtime can do what moto does
not: make SQS delays and visibility timeouts follow `parley.shared.clock` (tests advance time instead of
waiting), read queues and schedules without consuming them (the firer, the snapshot) and notice which
requests changed something (so the snapshot is saved only when needed), and journal each write to disk
before it is answered (`journaling`: a crash loses nothing that was acknowledged).

moto's state is global to the process and shared by every moto server in it. The runtime keeps to an
account of its own (`ACCOUNT`, reached through the access key `ACCESS_KEY`) and `EmbeddedAws.start()`
resets only that account, so it can run beside another in-process moto (a test session's) without
either seeing the other's resources. One runtime per process at a time.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from parley.shared import clock as parley_clock
from parley.shared.names import (
    MEDIA_UPLOAD_PREFIX,
    REDRIVE,
    VISIBILITY_SECONDS,
    Bucket,
    Queue,
    ScheduleGroup,
    Topic,
    local_bucket_name,
    physical_name,
)

from . import moto_speedups
from .journal import Journal
from .journaling import Journaling

log = logging.getLogger("parley.local.aws")

# The runtime's own account: moto maps an access key it knows to the account that owns it (any other
# key lands in moto's default account, 123456789012, where tests' own moto servers keep their state).
ACCOUNT = "000000000000"
REGION = "us-east-1"
ACCESS_KEY = "AKIAPARLEYLOCAL00001"
SECRET_KEY = "parley-local"  # moto checks no signature; a placeholder
# Messages must outlive long pauses of a test clock; AWS's maximum (14 days).
QUEUE_RETENTION_SECONDS = 14 * 24 * 3600

_READ_PREFIXES = ("Get", "List", "Describe", "Scan", "Query", "BatchGet")


# --- moto's SQS on parley's clock ---------------------------------------------------------------


def _clock_epoch_seconds() -> float:
    return parley_clock.now().timestamp()


_sqs_clock_lock = threading.Lock()
_sqs_clock_installed = False


def install_sqs_clock() -> None:
    """Make moto's SQS read `parley.shared.clock.now()` for sent times, delays and visibility timeouts.

    moto.sqs.models imports `unix_time` and `unix_time_millis` as module globals and calls them at use
    time, so rebinding them there is enough. With a `ManualClock`, never receive with
    `WaitTimeSeconds > 0`: moto's long poll waits for the clock to pass its end, which it never does.
    Idempotent; stays installed (with the default `SystemClock` it is the wall clock).
    """
    global _sqs_clock_installed
    import moto.sqs.models as sqs_models
    from moto.core import utils as moto_utils

    with _sqs_clock_lock:
        if _sqs_clock_installed:
            return
        original = moto_utils.unix_time

        def unix_time(dt: datetime | None = None) -> float:
            return original(dt) if dt is not None else _clock_epoch_seconds()

        def unix_time_millis(dt: datetime | None = None) -> float:
            return unix_time(dt) * 1000.0

        sqs_models.unix_time = unix_time  # type: ignore[assignment]
        sqs_models.unix_time_millis = unix_time_millis  # type: ignore[assignment]
        _sqs_clock_installed = True


def clock_millis() -> float:
    """The runtime clock in epoch milliseconds, as moto's SQS sees it."""
    return _clock_epoch_seconds() * 1000.0


# --- the server ---------------------------------------------------------------------------------


class _QuietRequestHandler(MotoRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("moto %s %s", self.requestline, code)


def is_mutating(environ: dict[str, Any]) -> bool:
    """Whether a request to moto may change state (conservative: unknown means yes)."""
    if environ.get("REQUEST_METHOD", "GET").upper() in ("GET", "HEAD", "OPTIONS"):
        return False
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    operation = target.rsplit(".", 1)[-1]
    return not (operation and operation.startswith(_READ_PREFIXES))


class _ChangeTracking:
    """WSGI middleware counting requests that may have changed moto's state (after they ran)."""

    def __init__(self, app: Callable[..., Any], on_change: Callable[[], None]) -> None:
        self._app = app
        self._on_change = on_change

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        try:
            return self._app(environ, start_response)
        finally:
            if is_mutating(environ):
                self._on_change()


class _Server(ThreadedMotoServer):
    def __init__(self, host: str, port: int, on_change: Callable[[], None], journaling: Journaling) -> None:
        super().__init__(ip_address=host, port=port, verbose=False)
        self._on_change = on_change
        self._journaling = journaling

    def start(self) -> None:
        # Bind here, not in the thread, so that a port in use raises OSError to the caller.
        dispatcher = DomainDispatcherApplication(create_backend_app)
        app = _ChangeTracking(self._journaling.wrap(dispatcher), self._on_change)
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=_QuietRequestHandler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="parley-moto", daemon=True
        )
        self._thread.start()
        self._server_ready_event.set()

    def stop(self) -> None:
        server = self._server
        super().stop()
        if server is not None:
            server.server_close()


_last_port = 0


def _start_server(host: str, port: int, on_change: Callable[[], None], journaling: Journaling) -> _Server:
    server = _Server(host, port, on_change, journaling)
    server.start()
    return server


def reset_account(account: str = ACCOUNT, access_key: str = ACCESS_KEY) -> None:
    """Forget everything moto holds for `account` in this process (a fresh moto for it, as after a
    process restart), then make `access_key` reach that account again."""
    from moto.core.base_backend import BackendDict, backend_lock
    from moto.iam.models import AccessKey, iam_backends
    from moto.s3.models import s3_backends

    with backend_lock:
        instances: list[dict[str, Any]] = list(BackendDict._instances)  # type: ignore[misc]
        for backend_dict in instances:
            if dict.__contains__(backend_dict, account):
                del backend_dict[account]
    for bucket, (_, owner) in list(s3_backends.bucket_accounts.items()):
        if owner == account:  # S3's bucket names are global: free ours
            s3_backends.bucket_accounts.pop(bucket, None)
    key = AccessKey(user_name=None, prefix="AKIA", account_id=account)  # type: ignore[abstract]
    key.access_key_id = access_key
    iam_backends[account]["aws"].access_keys[access_key] = key


_clients: dict[tuple[str, str | None, str], Any] = {}
_clients_lock = threading.Lock()
_session: boto3.session.Session | None = None


def client(service: str, endpoint_url: str | None = None, region: str = REGION) -> Any:
    """A boto3 client for the embedded endpoint (or `AWS_ENDPOINT_URL` when no URL is given), with the
    runtime's credentials. Cached: creating a client costs ~0.2 s; clients are thread-safe."""
    global _session
    key = (service, endpoint_url, region)
    with _clients_lock:
        if key not in _clients:
            if _session is None:
                _session = boto3.session.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
            config = Config(retries={"max_attempts": 2, "mode": "standard"})
            _clients[key] = _session.client(service, endpoint_url=endpoint_url, region_name=region, config=config)
        return _clients[key]


class EmbeddedAws:
    """moto's server on 127.0.0.1 (a free port unless given), in this process."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, region: str = REGION) -> None:
        self.account = ACCOUNT
        self.region = region
        self._host = host
        self._port = port
        self._server: _Server | None = None
        self._changes = 0
        self._changes_lock = threading.Lock()
        self.endpoint_url = ""
        # Writes go to the journal once one is attached (`attach_journal`, after the restore).
        self.journaling = Journaling(self.account, self.region)

    # Requests that may have changed something; the snapshot compares it with the last saved value.
    @property
    def changes(self) -> int:
        with self._changes_lock:
            return self._changes

    def note_change(self) -> None:
        with self._changes_lock:
            self._changes += 1

    def start(self) -> EmbeddedAws:
        global _last_port
        install_sqs_clock()
        moto_speedups.install_all()
        reset_account(self.account)
        # A restart in the same process gets the same endpoint when it can: clients that handler modules
        # made at import time (imported once per process) keep working.
        port = self._port or _last_port
        try:
            self._server = _start_server(self._host, port, self.note_change, self.journaling)
        except OSError:
            if self._port:
                raise
            self._server = _start_server(self._host, 0, self.note_change, self.journaling)
        host, port = self._server.get_host_and_port()
        _last_port = port
        self.endpoint_url = f"http://{host}:{port}"
        log.info("embedded AWS (moto) on %s", self.endpoint_url)
        return self

    def stop(self) -> None:
        self.journaling.journal = None
        if self._server is not None:
            self._server.stop()
            self._server = None

    def attach_journal(self, journal: Journal | None) -> None:
        """From now on, a write is journaled before it is answered (None: no longer)."""
        self.journaling.journal = journal

    def client(self, service: str) -> Any:
        return client(service, self.endpoint_url, self.region)

    def queue_url(self, name: str) -> str:
        return f"{self.endpoint_url}/{self.account}/{name}"

    def queue_arn(self, name: str) -> str:
        return f"arn:aws:sqs:{self.region}:{self.account}:{name}"

    def create_resources(self) -> None:
        """Queues (redrive, visibility), schedule groups, topics, the media bucket and, if the store is there,
        the tables. (The cursor key is made by the API function on first use, as on AWS, and kept in the
        snapshot with the other parameters.)"""
        sqs = self.client("sqs")
        for queue in redrive_order(list(Queue)):
            attributes = {
                "VisibilityTimeout": str(VISIBILITY_SECONDS.get(queue, 30)),
                "MessageRetentionPeriod": str(QUEUE_RETENTION_SECONDS),
            }
            if queue in REDRIVE:
                target, max_receives = REDRIVE[queue]
                attributes["RedrivePolicy"] = json.dumps(
                    {
                        "deadLetterTargetArn": self.queue_arn(physical_name(target)),
                        "maxReceiveCount": max_receives,
                    }
                )
            sqs.create_queue(QueueName=physical_name(queue), Attributes=attributes)
        scheduler = self.client("scheduler")
        existing = {g["Name"] for g in scheduler.list_schedule_groups().get("ScheduleGroups", [])}
        for group in ScheduleGroup:
            if physical_name(group) not in existing:
                scheduler.create_schedule_group(Name=physical_name(group))
        for topic in Topic:  # CreateTopic is idempotent
            self.client("sns").create_topic(Name=physical_name(topic))
        s3 = self.client("s3")
        buckets = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
        for bucket in Bucket:
            if local_bucket_name(bucket, self.account) not in buckets:
                s3.create_bucket(Bucket=local_bucket_name(bucket, self.account))
        # As on AWS (infra/parley_cdk/media.py): each upload is told to the media-check function's queue.
        s3.put_bucket_notification_configuration(
            Bucket=local_bucket_name(Bucket.MEDIA, self.account),
            NotificationConfiguration=media_notification(self.queue_arn(physical_name(Queue.MEDIA_UPLOADS))),
        )
        create_tables = _store_create_tables()
        if create_tables is not None:
            create_tables()

    # --- in-process views of moto's state (no request, nothing consumed) ---------------------

    def schedules(self) -> list[dict[str, Any]]:
        return in_process_schedules(self.account, self.region)


def media_notification(queue_arn: str) -> dict[str, Any]:
    """Uploads only: the check's own copies (names.MEDIA_CHECKED_PREFIX) are nothing to check."""
    only_uploads = {"Key": {"FilterRules": [{"Name": "prefix", "Value": MEDIA_UPLOAD_PREFIX}]}}
    return {"QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"], "Filter": only_uploads}]}


def redrive_order(queues: list[Queue]) -> list[Queue]:
    """Dead-letter targets before the queues that name them in a redrive policy."""
    ordered: list[Queue] = []
    remaining = list(queues)
    while remaining:
        ready = [q for q in remaining if q not in REDRIVE or REDRIVE[q][0] in ordered]
        if not ready:
            raise ValueError(f"redrive policies form a cycle among {remaining}")
        ordered += ready
        remaining = [q for q in remaining if q not in ready]
    return ordered


def _store_create_tables() -> Callable[[], Any] | None:
    try:
        from parley.store import create_tables  # type: ignore[attr-defined]
    except ImportError:
        log.warning("parley.store.create_tables is not there yet: no DynamoDB tables created")
        return None
    return create_tables  # type: ignore[no-any-return]


def in_process_schedules(account: str = ACCOUNT, region: str = REGION) -> list[dict[str, Any]]:
    """Every schedule moto holds, as `GetSchedule` would describe it (full target)."""
    from moto.scheduler.models import scheduler_backends

    backend = scheduler_backends[account][region]
    result = []
    for group in list(backend.schedule_groups.values()):
        for schedule in list(group.schedules.values()):
            result.append(schedule.to_dict())
    return result


def _sqs_backend(account: str, region: str) -> Any:
    from moto.sqs.models import sqs_backends

    return sqs_backends[account][region]


def in_process_queue(name: str, account: str = ACCOUNT, region: str = REGION) -> Any | None:
    backend = _sqs_backend(account, region)
    return backend.queues.get(name)


def queue_has_visible_messages(name: str, account: str = ACCOUNT, region: str = REGION) -> bool:
    """Whether a receive on this queue would return something now (by the runtime clock)."""
    queue = in_process_queue(name, account, region)
    if queue is None:
        return False
    return any(message.visible and not message.delayed for message in list(queue._messages))


def drop_expired_messages(account: str = ACCOUNT, region: str = REGION) -> int:
    """Delete messages older than their queue's retention period, as SQS does (moto does not, and an
    expired message at the head of a queue stops moto's receive from returning the ones behind it)."""
    backend = _sqs_backend(account, region)
    now_ms = clock_millis()
    dropped = 0
    for queue in list(backend.queues.values()):
        retention_ms = int(getattr(queue, "message_retention_period", QUEUE_RETENTION_SECONDS)) * 1000
        with queue._messages_lock:
            kept = [m for m in queue._messages if (m.sent_timestamp or 0) + retention_ms > now_ms]
            removed = len(queue._messages) - len(kept)
            if removed:
                queue._messages[:] = kept
                dropped += removed
    return dropped


def delete_quietly(call: Callable[..., Any], **kwargs: Any) -> None:
    """Call a delete operation; a resource that is already gone is fine."""
    try:
        call(**kwargs)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code not in ("ResourceNotFoundException", "NotFound", "NotFoundException"):
            raise


def utc_iso(moment: datetime) -> str:
    """`2024-01-01T00:00:00.000Z`, the way AWS writes timestamps in events."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def chunks(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
