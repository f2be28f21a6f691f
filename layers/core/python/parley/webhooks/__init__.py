"""Outbound webhooks: endpoints a workspace registers, the events parley tells them of, signed by the
Standard Webhooks scheme and sent through SQS with retries (docs/webhooks.md)."""
