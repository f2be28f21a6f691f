"""Cross-cutting defaults for every construct, in one place.

The layer's pip target (Python version, ABI, platform) is derived from RUNTIME and ARCHITECTURE, so the
functions and the wheels they load cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration, aws_lambda, aws_logs

from parley.shared import names

REPO_ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = REPO_ROOT / "functions"
LAYER_SOURCE_DIR = REPO_ROOT / "layers" / "core"
PYPROJECT = REPO_ROOT / "pyproject.toml"

STACK_NAME = "Parley"
# Used only when neither context nor the CLI's environment says where to deploy: synth then needs no
# credentials, and `cdk deploy` with real credentials gets CDK_DEFAULT_ACCOUNT/REGION from the CLI.
OFFLINE_ACCOUNT = "123456789012"
OFFLINE_REGION = "us-east-1"

# The newest Python runtime aws-cdk-lib offers; the layer is built for the same version.
RUNTIME = aws_lambda.Runtime.PYTHON_3_14
ARCHITECTURE = aws_lambda.Architecture.ARM_64
HANDLER = "handler.lambda_handler"
LOGGING_FORMAT = aws_lambda.LoggingFormat.JSON
# The functions use Powertools Logger and Metrics, not Tracer: X-Ray would add cost and cold-start time.
TRACING = aws_lambda.Tracing.DISABLED
LOG_RETENTION = aws_logs.RetentionDays.ONE_MONTH
LOG_LEVEL = "INFO"
PUBLIC_BASE_URL_CONTEXT = "public_base_url"  # where /l/{code} is served; unset: no short links
# `-c dashboard=false` leaves the CloudWatch dashboard out (docs/deploy.md, "What it costs at rest"): it is
# free among an account's first 3 dashboards and $3 a month beyond them. The alarms stay either way.
DASHBOARD_CONTEXT = "dashboard"
_YES, _NO = frozenset({"true", "yes", "on", "1"}), frozenset({"false", "no", "off", "0"})


def wants_dashboard(value: object) -> bool:
    """The `dashboard` context value (a string from `-c`, a boolean from cdk.json; unset: True)."""
    if value is None or isinstance(value, bool):
        return value is not False
    text = str(value).strip().lower()
    if text in _YES | _NO:
        return text in _YES
    raise ValueError(f"context {DASHBOARD_CONTEXT}={value!r}: use true or false")


def python_version() -> str:
    """'3.14' for the runtime 'python3.14'."""
    name = RUNTIME.name
    if not name.startswith("python"):
        raise ValueError(f"not a Python runtime: {name}")
    return name.removeprefix("python")


def pip_platforms() -> tuple[str, ...]:
    """The manylinux tags Lambda's Amazon Linux 2023 images accept for this architecture."""
    machine = {"arm64": "aarch64", "x86_64": "x86_64"}[ARCHITECTURE.name]
    return (f"manylinux2014_{machine}", f"manylinux_2_28_{machine}")


@dataclass(frozen=True)
class FunctionSettings:
    memory_mb: int
    timeout: Duration
    description: str


FUNCTIONS: dict[names.Function, FunctionSettings] = {
    names.Function.API: FunctionSettings(
        memory_mb=512,
        # Below API Gateway's 29 s integration timeout, so a slow request ends as the function's own error.
        timeout=Duration.seconds(20),
        description="parley's HTTP API (API Gateway proxy)",
    ),
    names.Function.PUBLISH: FunctionSettings(
        memory_mb=512,
        timeout=Duration.seconds(names.PUBLISH_TIMEOUT_SECONDS),
        description="Publishes one delivery when its schedule fires or its queued message is due",
    ),
    names.Function.RECONCILER: FunctionSettings(
        memory_mb=256,
        # The failures queue's visibility timeout must be at least six times this (AWS's advice).
        timeout=Duration.seconds(names.VISIBILITY_SECONDS[names.Queue.FAILURES] // 6),
        description="Settles deliveries whose publish attempt failed outside the publish function",
    ),
    names.Function.POLL: FunctionSettings(
        # Mostly waiting on the network: half the memory, about 40% fewer GB-seconds a poll in bench/cost.py's
        # model (docs/deploy.md); a run of POLL_MAX_WATCHES_PER_RUN stays well inside its timeout.
        memory_mb=256,
        timeout=Duration.seconds(names.POLL_TIMEOUT_SECONDS),
        description="Polls one channel's watched posts for replies, mentions and counters",
    ),
    names.Function.TOKENS: FunctionSettings(
        memory_mb=256,
        timeout=Duration.seconds(names.TOKENS_TIMEOUT_SECONDS),
        description="Renews one channel's expiring token (X) and arms the next renewal",
    ),
    names.Function.MEDIA_CHECK: FunctionSettings(
        memory_mb=512,  # holds one image (at most names.MEDIA_MAX_UPLOAD_BYTES) in memory
        timeout=Duration.seconds(names.MEDIA_CHECK_TIMEOUT_SECONDS),
        description="Checks an uploaded image's bytes and marks the media ready or rejected",
    ),
    names.Function.REDIRECT: FunctionSettings(
        memory_mb=256,
        timeout=Duration.seconds(5),
        description="Public short links: counts a click, answers 302 to the link's target",
    ),
    names.Function.WEBHOOKS: FunctionSettings(
        memory_mb=256,
        timeout=Duration.seconds(names.WEBHOOK_TIMEOUT_SECONDS),
        description="Sends events to the workspaces' webhook endpoints, signed; retries with backoff",
    ),
}
# The web app serves pages through the same core calls as the API, behind the same API Gateway (and its
# 29 s integration timeout): the API's memory and timeout.
FUNCTIONS[names.Function.WEB] = FunctionSettings(
    memory_mb=FUNCTIONS[names.Function.API].memory_mb,
    timeout=FUNCTIONS[names.Function.API].timeout,
    description="parley's web app for marketers: server-rendered pages (API Gateway proxy on / and /app/)",
)


def powertools_env() -> dict[str, str]:
    """The Powertools variables every function gets besides names.FUNCTION_ENV."""
    return {
        "POWERTOOLS_SERVICE_NAME": names.APP,
        "POWERTOOLS_METRICS_NAMESPACE": names.METRICS_NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": LOG_LEVEL,
    }
