"""Settings parsed once from the environment; the rest of the core never reads `os.environ`."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel

from parley.shared.names import PARAMETER_PREFIX, Env, Table, physical_name


class Settings(BaseModel):
    tables: dict[Table, str]
    publish_queue_url: str
    schedule_group: str
    scheduler_role_arn: str
    scheduler_dlq_arn: str
    publish_function_arn: str
    poll_function_arn: str = ""
    alert_topic_arn: str = ""
    parameter_prefix: str = PARAMETER_PREFIX
    tokens_function_arn: str = ""
    # Where people reach the API: the X connect callback and /l/{code} short links (empty: links stay as written).
    public_base_url: str = ""
    media_bucket: str = ""
    webhook_queue_url: str = ""  # empty: no webhooks are sent (parley.webhooks)
    outbound_allowed_hosts: tuple[str, ...] = ()  # names, addresses, networks fetched although not public
    cursor_key_parameter: str = ""  # the parameter whose value signs page cursors (empty: nothing can page)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        from parley.shared.names import TABLE_ENV

        return cls(
            tables={t: env.get(TABLE_ENV[t], physical_name(t)) for t in Table},
            publish_queue_url=env.get(Env.PUBLISH_QUEUE_URL, ""),
            schedule_group=env.get(Env.SCHEDULE_GROUP, ""),
            scheduler_role_arn=env.get(Env.SCHEDULER_ROLE_ARN, ""),
            scheduler_dlq_arn=env.get(Env.SCHEDULER_DLQ_ARN, ""),
            publish_function_arn=env.get(Env.PUBLISH_FUNCTION_ARN, ""),
            poll_function_arn=env.get(Env.POLL_FUNCTION_ARN, ""),
            alert_topic_arn=env.get(Env.ALERT_TOPIC_ARN, ""),
            parameter_prefix=env.get(Env.PARAMETER_PREFIX, PARAMETER_PREFIX),
            tokens_function_arn=env.get(Env.TOKENS_FUNCTION_ARN, ""),
            public_base_url=env.get(Env.PUBLIC_BASE_URL, "").rstrip("/"),
            media_bucket=env.get(Env.MEDIA_BUCKET, ""),
            webhook_queue_url=env.get(Env.WEBHOOK_QUEUE_URL, ""),
            cursor_key_parameter=env.get(Env.CURSOR_KEY_PARAMETER, ""),
            outbound_allowed_hosts=tuple(
                h.strip().lower() for h in env.get(Env.OUTBOUND_ALLOWED_HOSTS, "").split(",") if h.strip()
            ),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
