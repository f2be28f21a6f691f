"""The events Lambda hands a function, and what it reads from the answers: SQS records of a batch, the
on-failure destination record of an asynchronous invocation whose retries ran out, the batch items a
handler reported as failed, and Scheduler's context attributes in a target's input."""

from __future__ import annotations

import base64
import traceback
from datetime import datetime
from typing import Any

from . import aws


def failed_item_ids(response: Any, batch_ids: set[str]) -> set[str]:
    """The messages a handler reported as failed (ReportBatchItemFailures). An identifier that is
    missing or not in the batch makes the whole batch fail, as on AWS."""
    if not isinstance(response, dict) or not response.get("batchItemFailures"):
        return set()
    failed: set[str] = set()
    for item in response["batchItemFailures"]:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not identifier or identifier not in batch_ids:
            return set(batch_ids)
        failed.add(identifier)
    return failed


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One record of the event Lambda builds from an SQS message."""
    attributes = {}
    for name, value in (message.get("MessageAttributes") or {}).items():
        converted: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
        if "StringValue" in value:
            converted["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            raw = value["BinaryValue"]
            converted["binaryValue"] = base64.b64encode(raw if isinstance(raw, bytes) else str(raw).encode()).decode()
        attributes[name] = converted
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": attributes,
        "md5OfBody": message.get("MD5OfBody"),
        "md5OfMessageAttributes": message.get("MD5OfMessageAttributes"),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def on_failure_record(
    *,
    function_arn: str,
    request_id: str,
    invoke_count: int,
    event: Any,
    error: BaseException,
    timestamp: datetime,
) -> dict[str, Any]:
    """Lambda's on-failure destination record for an asynchronous invocation whose retries ran out."""
    return {
        "version": "1.0",
        "timestamp": aws.utc_iso(timestamp),
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": "RetriesExhausted",
            "approximateInvokeCount": invoke_count,
        },
        "requestPayload": event,
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "responsePayload": {
            "errorMessage": str(error),
            "errorType": type(error).__name__,
            "requestId": request_id,
            "stackTrace": traceback.format_tb(error.__traceback__),
        },
    }


def substitute_context(text: str, *, schedule_arn: str, scheduled_time: str, execution_id: str) -> str:
    """Scheduler's context attributes in a target's input."""
    replacements = {
        "<aws.scheduler.schedule-arn>": schedule_arn,
        "<aws.scheduler.scheduled-time>": scheduled_time,
        "<aws.scheduler.execution-id>": execution_id,
        "<aws.scheduler.attempt-number>": "1",
    }
    for placeholder, value in replacements.items():
        text = text.replace(placeholder, value)
    return text
