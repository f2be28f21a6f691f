"""Numbers as JSON has them: `10.0` is the integer 10 in JSON Schema, and a strict model refuses it."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator


def _whole(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value  # anything else is the model's to judge (strict: a string or 1.5 is refused)


WholeNumber = Annotated[int, BeforeValidator(_whole)]
