"""One `cdk synth` per test session, through the pinned npm CLI and cdk.json, exactly as a user runs it,
with no AWS credentials. Every infra test reads that one cloud assembly."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CDK_CLI = REPO_ROOT / "infra" / "node_modules" / ".bin" / "cdk"
STACK_NAME = "Parley"
SYNTH_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class Synth:
    returncode: int
    output: str
    outdir: Path
    seconds: float

    @property
    def template_path(self) -> Path:
        return self.outdir / f"{STACK_NAME}.template.json"

    def template_json(self) -> dict[str, Any]:
        if self.returncode != 0 or not self.template_path.exists():
            pytest.fail(f"cdk synth failed (exit {self.returncode}):\n{self.output[-6000:]}")
        return json.loads(self.template_path.read_text(encoding="utf-8"))


def offline_env(home: Path) -> dict[str, str]:
    """This process's environment without any way to reach AWS credentials or endpoints."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "CDK_")) or key == "AWS_CA_BUNDLE"
    }
    env |= {
        "AWS_CONFIG_FILE": str(home / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    return env


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    subprocess.run([str(REPO_ROOT / "scripts" / "install-cdk.sh")], check=True, cwd=REPO_ROOT)
    outdir = tmp_path_factory.mktemp("cdk.out")
    started = time.monotonic()
    result = subprocess.run(
        [str(CDK_CLI), "synth", "--quiet", "--output", str(outdir)],
        cwd=REPO_ROOT,
        env=offline_env(tmp_path_factory.mktemp("home")),
        capture_output=True,
        text=True,
        timeout=SYNTH_TIMEOUT_SECONDS,
        check=False,
    )
    return Synth(result.returncode, result.stdout + result.stderr, outdir, time.monotonic() - started)


@pytest.fixture(scope="session")
def template_json(synth: Synth) -> dict[str, Any]:
    return synth.template_json()


@pytest.fixture(scope="session")
def template(template_json: dict[str, Any]) -> Any:
    from aws_cdk.assertions import Template

    return Template.from_json(template_json)
