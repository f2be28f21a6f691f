"""The runtime's snapshot of the embedded AWS, so that a restart loses nothing.

`<state_dir>/aws-snapshot.json` (mode 0600 in a 0700 folder, written to a temporary file and renamed)
holds: DynamoDB tables (definition, TTL setting, every item), Scheduler groups and schedules (every
field needed to create them again), SSM parameters (SecureString values decrypted: the file is the
user's alone), S3 buckets and objects, Secrets Manager secrets, SQS queues and the messages still in
them, the firer's pending asynchronous invocations, and the journal generation from which to replay
(`journal`: what was written after the snapshot; the two together are the state).

Reads go through the API (scans are fine here: this is not a request path), except DynamoDB tables, read
in this process so that the runtime can take them with the journaled writes held (`capture_tables`), and
SQS messages, which a receive would consume. A message's delay and invisibility end at their own time on
the runtime clock, never later than they had left when captured (`sqs_messages`): one due while the
runtime was down is visible at once.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from . import aws, sqs_messages
from .journal import from_jsonable, fsync_dir, to_jsonable

log = logging.getLogger("parley.local.snapshot")

SNAPSHOT_FILE = "aws-snapshot.json"
FORMAT_VERSION = 1

# Queue attributes CreateQueue accepts (the rest are computed).
_QUEUE_SETTABLE = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "RedrivePolicy",
    "Policy",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
)


class SnapshotError(RuntimeError):
    pass


# What AWS answers for a thing that was listed a moment ago and is gone now (a schedule that fired and was
# deleted, an object or queue removed): the system moves while the snapshot is taken, and such a thing is
# simply not in it.
_GONE = frozenset(
    {"ResourceNotFoundException", "NoSuchKey", "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}
)


def _gone(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in _GONE


# --- the file -----------------------------------------------------------------------------------


def ensure_private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)


def write_atomically(path: Path, data: dict[str, Any]) -> None:
    """Write JSON to a temporary file beside `path` (mode 0600), flush it to disk, rename it over."""
    ensure_private_dir(path.parent)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, separators=(",", ":"), sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
        fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def read_snapshot(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        # Starting empty would overwrite the user's data at the next save: refuse instead.
        raise SnapshotError(f"cannot read the snapshot {path}: {exc}; move it away to start empty") from exc
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
        raise SnapshotError(f"{path} is not a version-{FORMAT_VERSION} parley snapshot")
    return data


# --- capture ------------------------------------------------------------------------------------


def capture(
    embedded: aws.EmbeddedAws,
    firer_state: dict[str, Any] | None = None,
    *,
    tables: list[dict[str, Any]] | None = None,
    journal_from: int | None = None,
) -> dict[str, Any]:
    """Everything the embedded AWS holds that a restart must bring back, as JSON-ready data.

    `tables` (from `capture_tables`) and `journal_from` are taken together, with the journal's writes held,
    by the runtime: then the DynamoDB state is exactly what the journal's earlier generations wrote, and its
    later ones are replayed over it unchanged. The rest is read afterwards, while the system moves: what
    changes meanwhile is also in the journal, and replaying those writes over it again changes nothing
    (`journaling`)."""
    data = {
        "version": FORMAT_VERSION,
        "dynamodb": to_jsonable(tables if tables is not None else capture_tables(embedded)),
        "scheduler": to_jsonable(_capture_scheduler(embedded)),
        "ssm": to_jsonable(_capture_ssm(embedded)),
        "s3": to_jsonable(_capture_s3(embedded)),
        "secretsmanager": to_jsonable(_capture_secrets(embedded)),
        "sqs": to_jsonable(_capture_sqs(embedded)),
        "firer": firer_state or {},
    }
    if journal_from is not None:
        data["journal_from"] = journal_from
    return data


def journal_from(snapshot: dict[str, Any] | None) -> int:
    """The first journal generation to replay over this snapshot (every one when there is none)."""
    return int((snapshot or {}).get("journal_from") or 0)


def capture_tables(embedded: aws.EmbeddedAws) -> list[dict[str, Any]]:
    """DynamoDB tables (definition, TTL setting, every item), read from moto in this process: ~0.1 s for
    3,000 items, against ~2-4 s through the API, so that the runtime can take it with the journaled writes
    held. The same data a DescribeTable and a Scan give."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.utilities import dynamo_to_dict

    backend = dynamodb_backends[embedded.account][embedded.region]
    tables = []
    for table in list(backend.tables.values()):
        description = copy.deepcopy(table.describe(base_key="Table")["Table"])
        ttl = dict(table.ttl)
        tables.append(
            {
                "definition": _table_definition(description),
                "ttl_attribute": ttl.get("AttributeName") if ttl.get("TimeToLiveStatus") == "ENABLED" else None,
                "items": [dynamo_to_dict(item.attrs) for item in table.all_items()],
            }
        )
    return tables


def _table_definition(description: dict[str, Any]) -> dict[str, Any]:
    """CreateTable arguments that make the described table again."""
    billing = (description.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
    definition: dict[str, Any] = {
        "TableName": description["TableName"],
        "KeySchema": description["KeySchema"],
        "AttributeDefinitions": description["AttributeDefinitions"],
        "BillingMode": billing,
    }

    def throughput(source: dict[str, Any]) -> dict[str, int]:
        provisioned = source.get("ProvisionedThroughput") or {}
        return {
            "ReadCapacityUnits": max(1, int(provisioned.get("ReadCapacityUnits") or 1)),
            "WriteCapacityUnits": max(1, int(provisioned.get("WriteCapacityUnits") or 1)),
        }

    if billing == "PROVISIONED":
        definition["ProvisionedThroughput"] = throughput(description)
    gsis = []
    for index in description.get("GlobalSecondaryIndexes") or []:
        gsi = {"IndexName": index["IndexName"], "KeySchema": index["KeySchema"], "Projection": index["Projection"]}
        if billing == "PROVISIONED":
            gsi["ProvisionedThroughput"] = throughput(index)
        gsis.append(gsi)
    if gsis:
        definition["GlobalSecondaryIndexes"] = gsis
    lsis = [
        {"IndexName": i["IndexName"], "KeySchema": i["KeySchema"], "Projection": i["Projection"]}
        for i in description.get("LocalSecondaryIndexes") or []
    ]
    if lsis:
        definition["LocalSecondaryIndexes"] = lsis
    stream = description.get("StreamSpecification")
    if stream and stream.get("StreamEnabled"):
        definition["StreamSpecification"] = stream
    return definition


def _capture_scheduler(embedded: aws.EmbeddedAws) -> dict[str, Any]:
    scheduler = embedded.client("scheduler")
    groups = [
        g["Name"]
        for page in scheduler.get_paginator("list_schedule_groups").paginate()
        for g in page.get("ScheduleGroups", [])
        if g["Name"] != "default"
    ]
    schedules = []
    for group in ["default", *groups]:
        for page in scheduler.get_paginator("list_schedules").paginate(GroupName=group):
            for summary in page.get("Schedules", []):
                try:
                    full = scheduler.get_schedule(Name=summary["Name"], GroupName=group)
                except ClientError as exc:
                    if _gone(exc):
                        continue
                    raise
                schedules.append(
                    {
                        key: full[key]
                        for key in (
                            "Name",
                            "GroupName",
                            "Description",
                            "ScheduleExpression",
                            "ScheduleExpressionTimezone",
                            "FlexibleTimeWindow",
                            "Target",
                            "ActionAfterCompletion",
                            "State",
                            "KmsKeyArn",
                            "StartDate",
                            "EndDate",
                        )
                        if full.get(key) is not None
                    }
                )
    return {"groups": groups, "schedules": schedules}


def _capture_ssm(embedded: aws.EmbeddedAws) -> list[dict[str, Any]]:
    ssm = embedded.client("ssm")
    described = {
        p["Name"]: p for page in ssm.get_paginator("describe_parameters").paginate() for p in page.get("Parameters", [])
    }
    parameters = []
    for batch in aws.chunks(sorted(described), 10):
        for parameter in ssm.get_parameters(Names=batch, WithDecryption=True).get("Parameters", []):
            meta = described[parameter["Name"]]
            entry = {
                "Name": parameter["Name"],
                "Type": parameter["Type"],
                "Value": parameter["Value"],
                "DataType": parameter.get("DataType") or "text",
                "Tier": meta.get("Tier") or "Standard",
            }
            for key in ("Description", "AllowedPattern"):
                if meta.get(key):
                    entry[key] = meta[key]
            if parameter["Type"] == "SecureString" and meta.get("KeyId") not in (None, "alias/aws/ssm"):
                entry["KeyId"] = meta["KeyId"]
            parameters.append(entry)
    return parameters


def _capture_s3(embedded: aws.EmbeddedAws) -> list[dict[str, Any]]:
    s3 = embedded.client("s3")
    buckets = []
    for bucket in s3.list_buckets().get("Buckets", []):
        objects = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket["Name"]):
            for summary in page.get("Contents", []):
                try:
                    obj = s3.get_object(Bucket=bucket["Name"], Key=summary["Key"])
                except ClientError as exc:
                    if _gone(exc):
                        continue
                    raise
                objects.append(
                    {
                        "Key": summary["Key"],
                        "Body": obj["Body"].read(),
                        "ContentType": obj.get("ContentType") or "binary/octet-stream",
                        "Metadata": obj.get("Metadata") or {},
                    }
                )
        buckets.append({"Name": bucket["Name"], "Objects": objects})
    return buckets


def _capture_secrets(embedded: aws.EmbeddedAws) -> list[dict[str, Any]]:
    secrets_client = embedded.client("secretsmanager")
    secrets = []
    for page in secrets_client.get_paginator("list_secrets").paginate():
        for secret in page.get("SecretList", []):
            if secret.get("DeletedDate"):
                continue
            try:
                value = secrets_client.get_secret_value(SecretId=secret["ARN"])
            except ClientError:
                continue  # a secret without a value yet
            entry: dict[str, Any] = {"Name": secret["Name"]}
            if secret.get("Description"):
                entry["Description"] = secret["Description"]
            if "SecretString" in value:
                entry["SecretString"] = value["SecretString"]
            if "SecretBinary" in value:
                entry["SecretBinary"] = value["SecretBinary"]
            secrets.append(entry)
    return secrets


def _capture_sqs(embedded: aws.EmbeddedAws) -> list[dict[str, Any]]:
    sqs = embedded.client("sqs")
    now_ms = aws.clock_millis()
    queues = []
    for url in sqs.list_queues().get("QueueUrls", []):
        name = url.rsplit("/", 1)[-1]
        try:
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]).get("Attributes", {})
        except ClientError as exc:
            if _gone(exc):
                continue
            raise
        queue = aws.in_process_queue(name, embedded.account, embedded.region)
        messages = [sqs_messages.to_json(m, now_ms) for m in list(queue._messages)] if queue is not None else []
        queues.append(
            {
                "name": name,
                "attributes": {k: v for k, v in attributes.items() if k in _QUEUE_SETTABLE},
                "messages": messages,
            }
        )
    return queues


# --- restore ------------------------------------------------------------------------------------


def restore(embedded: aws.EmbeddedAws, snapshot: dict[str, Any]) -> dict[str, Any]:
    """Bring a fresh embedded AWS back to the snapshot (resources the runtime already created are
    kept: their definition in code wins over the one in the file). Returns the firer's state."""
    _restore_dynamodb(embedded, from_jsonable(snapshot.get("dynamodb", [])))
    _restore_sqs(embedded, from_jsonable(snapshot.get("sqs", [])))
    _restore_scheduler(embedded, from_jsonable(snapshot.get("scheduler", {})))
    _restore_ssm(embedded, from_jsonable(snapshot.get("ssm", [])))
    _restore_s3(embedded, from_jsonable(snapshot.get("s3", [])))
    _restore_secrets(embedded, from_jsonable(snapshot.get("secretsmanager", [])))
    firer_state: dict[str, Any] = snapshot.get("firer") or {}
    return firer_state


def _restore_dynamodb(embedded: aws.EmbeddedAws, tables: list[dict[str, Any]]) -> None:
    ddb = embedded.client("dynamodb")
    existing = {n for page in ddb.get_paginator("list_tables").paginate() for n in page.get("TableNames", [])}
    for table in tables:
        name = table["definition"]["TableName"]
        if name not in existing:
            ddb.create_table(**table["definition"])
            if table.get("ttl_attribute"):
                ddb.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": table["ttl_attribute"]},
                )
        for batch in aws.chunks(table["items"], 25):
            request: dict[str, Any] = {name: [{"PutRequest": {"Item": item}} for item in batch]}
            while request:
                response = ddb.batch_write_item(RequestItems=request)
                request = response.get("UnprocessedItems") or {}
        log.info("restored %d items into %s", len(table["items"]), name)


def _restore_sqs(embedded: aws.EmbeddedAws, queues: list[dict[str, Any]]) -> None:
    sqs = embedded.client("sqs")
    existing = {u.rsplit("/", 1)[-1] for u in sqs.list_queues().get("QueueUrls", [])}
    missing = [q for q in queues if q["name"] not in existing]
    # A redrive policy must name an existing queue: create dead-letter targets first.
    while missing:
        created = []
        for queue in missing:
            policy = queue["attributes"].get("RedrivePolicy")
            target = json.loads(policy)["deadLetterTargetArn"].rsplit(":", 1)[-1] if policy else None
            if target is None or target in existing:
                sqs.create_queue(QueueName=queue["name"], Attributes=queue["attributes"])
                existing.add(queue["name"])
                created.append(queue["name"])
        if not created:
            raise SnapshotError(f"cannot recreate queues {[q['name'] for q in missing]}: redrive targets missing")
        missing = [q for q in missing if q["name"] not in created]
    now_ms = aws.clock_millis()
    for queue in queues:
        backend_queue = aws.in_process_queue(queue["name"], embedded.account, embedded.region)
        if backend_queue is None:
            continue
        restored = sqs_messages.put_back(backend_queue, queue["messages"], now_ms)
        embedded.note_change()
        if restored:
            log.info("restored %d messages into %s", restored, queue["name"])


def _restore_scheduler(embedded: aws.EmbeddedAws, data: dict[str, Any]) -> None:
    scheduler = embedded.client("scheduler")
    existing_groups = {
        g["Name"] for page in scheduler.get_paginator("list_schedule_groups").paginate() for g in page["ScheduleGroups"]
    }
    for group in data.get("groups", []):
        if group not in existing_groups:
            scheduler.create_schedule_group(Name=group)
    for schedule in data.get("schedules", []):
        try:
            scheduler.create_schedule(**schedule)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConflictException":
                raise
    if data.get("schedules"):
        log.info("restored %d schedules", len(data["schedules"]))


def _restore_ssm(embedded: aws.EmbeddedAws, parameters: list[dict[str, Any]]) -> None:
    ssm = embedded.client("ssm")
    for parameter in parameters:
        ssm.put_parameter(Overwrite=True, **parameter)


def _restore_s3(embedded: aws.EmbeddedAws, buckets: list[dict[str, Any]]) -> None:
    s3 = embedded.client("s3")
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for bucket in buckets:
        if bucket["Name"] not in existing:
            if embedded.region == "us-east-1":
                s3.create_bucket(Bucket=bucket["Name"])
            else:
                s3.create_bucket(
                    Bucket=bucket["Name"], CreateBucketConfiguration={"LocationConstraint": embedded.region}
                )
        for obj in bucket["Objects"]:
            s3.put_object(
                Bucket=bucket["Name"],
                Key=obj["Key"],
                Body=obj["Body"],
                ContentType=obj["ContentType"],
                Metadata=obj["Metadata"],
            )


def _restore_secrets(embedded: aws.EmbeddedAws, secrets: list[dict[str, Any]]) -> None:
    client = embedded.client("secretsmanager")
    for secret in secrets:
        try:
            client.create_secret(**secret)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceExistsException":
                raise
            # already there (made at start, with another value): the saved value wins, so that what was
            # made with it before the restart still works
            value = {k: secret[k] for k in ("SecretString", "SecretBinary") if k in secret}
            client.put_secret_value(SecretId=secret["Name"], **value)
