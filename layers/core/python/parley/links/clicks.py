"""Following a short link: a visitor's first click of the hour writes its marker (parley.links.visitors),
then one conditional UpdateItem counts the click and finds the target (ADD the counter if the code
exists, return the item), then the click is ADDed to its delivery's tally (what the summary reads: one
item per delivery, whatever its links) and to the link's hour (for the curve): four DynamoDB calls for a
first click, two for a repeat (its counter ADDs 0), whatever the table holds, all in the links table, and
none for a malformed code. Atomic counters: concurrent clicks are never lost or counted twice.

Link-preview crawlers (a network fetching the page to draw a card) are counted apart from people.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import crawleruseragents

from parley.links import short_links, visitors
from parley.shared import aws, clock, emf
from parley.shared.config import get_settings
from parley.shared.names import Table
from parley.shared.observability import logger
from parley.store.keys import click_tally_key

# Link-preview fetchers are told apart by the maintained list of crawler user agents (crawler-user-agents),
# plus the one parley's networks use that it lacks: Bluesky's card fetcher, "cardyb". No substring such as
# "bot" (it matches phones: "Cubot").
PREVIEWERS_NOT_LISTED = ("cardyb",)


@dataclass(frozen=True)
class Followed:
    target: str
    crawler: bool


def is_crawler(user_agent: str | None) -> bool:
    if not user_agent:
        return False
    lowered = user_agent.lower()
    return any(name in lowered for name in PREVIEWERS_NOT_LISTED) or crawleruseragents.is_crawler(user_agent)


def follow(code: str, user_agent: str | None, client_ip: str | None = None, *, dynamodb: Any = None) -> Followed | None:
    """The target of `code` after counting the click (once per visitor and hour); None for an unknown or
    malformed code."""
    if not short_links.is_code(code):
        return None
    dynamodb = dynamodb or aws.client("dynamodb")
    table = get_settings().tables[Table.LINKS]
    crawler = is_crawler(user_agent)
    counter = "previews" if crawler else "clicks"
    now = clock.now()
    first = visitors.first_visit(dynamodb, table, code, client_ip, user_agent, now)
    try:
        item = dynamodb.update_item(
            TableName=table,
            Key={"code": {"S": code}},
            UpdateExpression="ADD #n :click",  # a repeat ADDs 0: the same call still finds the target
            ConditionExpression="attribute_exists(target) AND attribute_not_exists(retired_at)",
            ExpressionAttributeNames={"#n": counter},
            ExpressionAttributeValues={":click": {"N": "1" if first else "0"}},
            ReturnValues="ALL_NEW",
        )["Attributes"]
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return None
    if first:
        _count_tally(dynamodb, table, code, item, counter)
        _count_hour(dynamodb, table, code, item, counter, visitors.hour_of(now))
        emf.count(emf.PREVIEWS if crawler else emf.CLICKS, 1, item.get("network", {}).get("S"))
    return Followed(target=item["target"]["S"], crawler=crawler)


def _count_tally(dynamodb: Any, table: str, code: str, item: dict[str, Any], counter: str) -> None:
    if "post_key" not in item or "channel_id" not in item:
        return
    try:
        dynamodb.update_item(
            TableName=table,
            Key={"code": {"S": click_tally_key(item["post_key"]["S"], item["channel_id"]["S"])}},
            UpdateExpression="ADD #n :one",
            ExpressionAttributeNames={"#n": counter},
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
    except Exception:  # the link's own counter has it (the post's metrics); the summary misses this one
        logger.exception("could not add a click to its delivery's tally", extra={"code": code})


def _count_hour(dynamodb: Any, table: str, code: str, item: dict[str, Any], counter: str, hour: str) -> None:
    try:
        dynamodb.update_item(
            TableName=table,
            Key={"code": {"S": f"{code}@{hour}"}},
            UpdateExpression="SET post_key = :post, channel_id = :channel, network = :network, #h = :hour ADD #n :one",
            ExpressionAttributeNames={"#n": counter, "#h": "hour"},
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":post": item.get("post_key", {"S": "-"}),
                ":channel": item.get("channel_id", {"S": "-"}),
                ":network": item.get("network", {"S": "-"}),
                ":hour": {"S": hour},
            },
        )
    except Exception:  # the total is counted; the hour's point is only the curve's detail
        logger.exception("could not count a click in its hour", extra={"code": code})
