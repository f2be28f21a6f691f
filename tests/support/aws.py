"""An embedded AWS (moto's server, on loopback) for integration tests, with parley's resources."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator

import pytest

ACCOUNT = "123456789012"
REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def aws() -> Iterator[str]:
    """moto's server with parley's tables, queues and schedule group; the env points at it."""
    from moto.server import ThreadedMotoServer

    from infra.local import moto_speedups
    from infra.local.aws import media_notification, redrive_order
    from parley import store
    from parley.shared import aws as parley_aws
    from parley.shared.config import Settings, get_settings
    from parley.shared.names import REDRIVE, VISIBILITY_SECONDS, Queue, ScheduleGroup, Topic, local_names, physical_name
    from parley.shared.pagination import forget_cursor_key

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    moto_speedups.install_all()  # as the local runtime's (infra/local/aws.py)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    env = local_names(endpoint_url=endpoint, account=ACCOUNT, region=REGION) | {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "POWERTOOLS_SERVICE_NAME": "parley",
        "POWERTOOLS_METRICS_NAMESPACE": "Parley",
        "POWERTOOLS_DEV": "false",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    get_settings.cache_clear()
    parley_aws.reset()
    settings = Settings.from_env()
    store.create_tables(settings)
    sqs = parley_aws.client("sqs")
    urls = {}
    for queue in redrive_order(list(Queue)):  # dead-letter targets first
        attributes = {"VisibilityTimeout": str(VISIBILITY_SECONDS[queue])}
        if queue in REDRIVE:
            target, receives = REDRIVE[queue]
            target_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{physical_name(target)}"
            attributes["RedrivePolicy"] = f'{{"deadLetterTargetArn":"{target_arn}","maxReceiveCount":"{receives}"}}'
        urls[queue] = sqs.create_queue(QueueName=physical_name(queue), Attributes=attributes)["QueueUrl"]
    for group in ScheduleGroup:
        parley_aws.client("scheduler").create_schedule_group(Name=physical_name(group))
    for topic in Topic:
        parley_aws.client("sns").create_topic(Name=physical_name(topic))
    parley_aws.client("s3").create_bucket(Bucket=settings.media_bucket)  # names.Bucket.MEDIA
    uploads_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{physical_name(Queue.MEDIA_UPLOADS)}"
    parley_aws.client("s3").put_bucket_notification_configuration(
        Bucket=settings.media_bucket, NotificationConfiguration=media_notification(uploads_arn)
    )
    forget_cursor_key()  # the first page cursor makes the key in this moto (parley.shared.pagination)
    yield endpoint
    server.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()
    parley_aws.reset()
    forget_cursor_key()
