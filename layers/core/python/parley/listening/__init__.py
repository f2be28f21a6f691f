"""Listening: watching published deliveries for replies, mentions and counters (docs/listening.md)."""
