"""Measuring what matters: engagement curves (snapshots), clicks through parley's short links, and the
summaries and report built from them. docs/metrics.md says how."""
