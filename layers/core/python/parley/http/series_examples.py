"""Examples of the series' success answers (parley.http.series), for the OpenAPI document: http/examples.py
takes them into its SUCCESS."""

from __future__ import annotations

from typing import Any

from parley.http.problem_examples import IDS

SERIES, CHANNEL, MEMBER = IDS["series_id"], IDS["channel_id"], IDS["member_id"]
_S = "/series/{series_id}"


def series(**changes: Any) -> dict[str, Any]:
    return {
        "id": SERIES,
        "kind": "rrule",
        "status": "active",
        "status_reason": None,
        "rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=3",
        "tz": "America/New_York",
        "every_days": None,
        "until": None,
        "text": "Tuesday tips: scheduling",
        "variants": ["Tuesday tips: the queue"],
        "overrides": {},
        "channels": [CHANNEL],
        "campaign": None,
        "occurrences": 3,
        "current": {"occurrence": 2, "post_id": f"{SERIES}-2"},
        "made": [{"occurrence": 1, "post_id": f"{SERIES}-1"}, {"occurrence": 2, "post_id": f"{SERIES}-2"}],
        "upcoming": ["2030-01-22T14:00:00Z"],
        "created_by": MEMBER,
        "created_at": "2029-12-20T14:03:11.482000Z",
    } | changes


SUCCESS: dict[tuple[str, str, int], Any] = {
    ("get", _S, 200): series(),
    ("patch", _S, 200): {
        "series": series(text="Tuesday tips: posting times"),
        "live": {"post_id": f"{SERIES}-2", "changed": [CHANNEL]},
        "warnings": [],
    },
    ("delete", _S, 200): {
        "series": series(status="cancelled", status_reason=f"cancelled by {MEMBER}", upcoming=[]),
        "cancelled": [CHANNEL],
        "post_id": f"{SERIES}-2",
    },
}
