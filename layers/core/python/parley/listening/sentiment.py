"""Sentiment of a reply or mention: VADER (built for social-media text; its lexicon ships in the wheel,
so it works offline). The compound score is in [-1, 1]; the labels use VADER's own thresholds."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

POSITIVE = "positive"
NEUTRAL = "neutral"
NEGATIVE = "negative"
LABELS = (POSITIVE, NEUTRAL, NEGATIVE)
THRESHOLD = 0.05


def label(compound: float) -> str:
    if compound >= THRESHOLD:
        return POSITIVE
    if compound <= -THRESHOLD:
        return NEGATIVE
    return NEUTRAL


@lru_cache(maxsize=1)
def _analyzer() -> Any:
    # Imported on first use: only the poll function pays for loading the lexicon.
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def score(text: str) -> tuple[str, float]:
    compound = round(float(_analyzer().polarity_scores(text)["compound"]), 4)
    return label(compound), compound
