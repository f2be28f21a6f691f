"""The CDK app behind cdk.json: `cdk synth` / `cdk deploy` run this with the project's virtualenv.

Synth needs no AWS credentials: the account and region come from context (`-c account=... -c
region=...`), else from the CDK CLI's environment (the credentials in use), else offline placeholders.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
for path in (REPO_ROOT / "layers" / "core" / "python", REPO_ROOT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from aws_cdk import App, Environment  # noqa: E402

from infra.parley_cdk import nag, settings  # noqa: E402
from infra.stack import ParleyStack  # noqa: E402


def target_environment(app: App) -> Environment:
    account = app.node.try_get_context("account") or os.environ.get("CDK_DEFAULT_ACCOUNT")
    region = app.node.try_get_context("region") or os.environ.get("CDK_DEFAULT_REGION")
    return Environment(account=account or settings.OFFLINE_ACCOUNT, region=region or settings.OFFLINE_REGION)


def cdk_json_context() -> dict[str, object] | None:
    """cdk.json's context (feature flags) when run without the CDK CLI, which otherwise passes it in:
    the same app then synthesizes the same template either way."""
    if os.environ.get("CDK_OUTDIR"):
        return None
    return json.loads((REPO_ROOT / "cdk.json").read_text(encoding="utf-8")).get("context")


def create_app(outdir: str | None = None) -> tuple[App, ParleyStack]:
    app = App(outdir=outdir, context=cdk_json_context())
    stack_name = app.node.try_get_context("stackName") or settings.STACK_NAME
    stack = ParleyStack(
        app,
        stack_name,
        env=target_environment(app),
        description="parley: scheduled social publishing and listening (API, functions, tables, alarms)",
    )
    nag.add_checks(app)
    return app, stack


def main() -> None:
    app, _ = create_app()
    app.synth()


if __name__ == "__main__":
    main()
