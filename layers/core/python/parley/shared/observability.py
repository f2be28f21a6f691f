"""Logger and Metrics, created once per process (JSON logs; EMF metrics in the `Parley` namespace)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

from parley.shared.names import APP, METRICS_NAMESPACE

logger = Logger(service=APP)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=APP)
