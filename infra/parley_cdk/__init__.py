"""parley's CDK constructs: one module per capability; `infra/stack.py` only composes them.

Not named after any library (`aws_cdk`, `constructs`, `cdk_nag`): `infra/` lands on `sys.path` when the
CDK CLI runs `infra/app.py`, and a same-named package there would shadow the library.
"""
