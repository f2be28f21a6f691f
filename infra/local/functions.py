"""The functions as Lambda runs them, on this machine: each handler module loaded from `functions/` by its
name (as Lambda imports it, with its folder on sys.path), a Lambda context with its deadline, and each
function's asynchronous-invocation settings (retries, on-failure destination) from `parley.shared.names`.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from parley.shared.clock import Clock
from parley.shared.names import APP, ASYNC_INVOKE, PUBLISH_TIMEOUT_SECONDS, Function, Queue

from . import aws

FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "functions"
DEFAULT_TIMEOUT_SECONDS = 30
TIMEOUTS: dict[str, int] = {Function.PUBLISH.value: PUBLISH_TIMEOUT_SECONDS}
DEFAULT_MEMORY_MB = 512
DEFAULT_ASYNC_RETRIES = 2  # Lambda's default for asynchronous invocation

Handler = Callable[[Any, Any], Any]


class LambdaContext:
    """What Lambda passes as `context`; enough for Powertools' `inject_lambda_context`.

    Remaining time counts down on the runtime clock (timeouts are reported, not enforced).
    """

    def __init__(
        self,
        *,
        function_name: str,
        invoked_function_arn: str,
        aws_request_id: str,
        clock: Clock,
        timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS,
        memory_limit_in_mb: int = DEFAULT_MEMORY_MB,
    ) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = invoked_function_arn
        self.memory_limit_in_mb = memory_limit_in_mb
        self.aws_request_id = aws_request_id
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"local/[$LATEST]{aws_request_id.replace('-', '')}"
        self.identity = None
        self.client_context = None
        self._clock = clock
        self._deadline = clock.now() + timedelta(seconds=timeout_seconds)

    def get_remaining_time_in_millis(self) -> int:
        remaining = (self._deadline - self._clock.now()).total_seconds() * 1000
        return max(0, int(remaining))


class FunctionRegistry:
    """The functions this machine runs: `functions/<name>/handler.py`, or stand-ins registered by tests.

    Names are `parley.shared.names.Function` values (`publish`); the physical name is `parley-publish`.
    `functions_dir=None` means stand-ins only (nothing is imported from disk).
    Invocations are serialized process-wide (`invoke_lock`): handlers share one interpreter here,
    and the API's resolver keeps the current request in module state. The functions in
    `concurrent` keep no per-request module state, so they may run side by side, as Lambda runs them.
    """

    def __init__(
        self,
        functions_dir: Path | None = FUNCTIONS_DIR,
        *,
        account: str = aws.ACCOUNT,
        region: str = aws.REGION,
    ) -> None:
        self.functions_dir = functions_dir
        self.account = account
        self.region = region
        self._handlers: dict[str, Handler] = {}
        self._load_lock = threading.Lock()
        self.invoke_lock = threading.RLock()
        self._counted = threading.Lock()
        self._invocations: Counter[str] = Counter()  # per function, since this registry was made
        self.concurrent: frozenset[str] = frozenset({Function.PUBLISH.value, Function.REDIRECT.value})

    def register(self, function: Function | str, handler: Handler) -> None:
        self._handlers[str(function)] = handler

    def unregister(self, function: Function | str) -> None:
        """Forget a function (its queue is no longer fed; schedules aimed at it dead-letter)."""
        self._handlers.pop(str(function), None)

    def physical_name(self, function: str) -> str:
        return f"{APP}-{function}"

    def arn(self, function: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.physical_name(function)}"

    def name_of(self, name_or_arn: str) -> str | None:
        """The function a name or ARN (optionally qualified) refers to, or None if it is not known here."""
        name = name_or_arn
        if name.startswith("arn:"):
            parts = name.split(":")
            if len(parts) < 7 or parts[2] != "lambda" or parts[5] != "function":
                return None
            name = parts[6]
        prefix = f"{APP}-"
        key = name[len(prefix) :] if name.startswith(prefix) else name
        if key in self._handlers or self._handler_file(key) is not None:
            return key
        return None

    def _handler_file(self, key: str) -> Path | None:
        if self.functions_dir is None or not key or "/" in key or key.startswith("."):
            return None
        path = self.functions_dir / key / "handler.py"
        return path if path.is_file() else None

    def handler(self, function: str) -> Handler | None:
        """The function's `lambda_handler`, importing its file once (by path) the first time."""
        if function in self._handlers:
            return self._handlers[function]
        path = self._handler_file(function)
        if path is None:
            return None
        with self._load_lock:
            if function not in self._handlers:
                self._handlers[function] = _load_handler(function, path)
        return self._handlers[function]

    def invoke(self, function: str, event: Any, *, clock: Clock, request_id: str | None = None) -> Any:
        """Run the handler synchronously (as Lambda's RequestResponse invoke); exceptions propagate."""
        handler = self.handler(function)
        if handler is None:
            raise LookupError(f"no function {function!r} here")
        with self._counted:
            self._invocations[function] += 1
        context = LambdaContext(
            function_name=self.physical_name(function),
            invoked_function_arn=self.arn(function),
            aws_request_id=request_id or str(uuid.uuid4()),
            clock=clock,
            timeout_seconds=TIMEOUTS.get(function, DEFAULT_TIMEOUT_SECONDS),
        )
        if function in self.concurrent:
            return handler(event, context)
        with self.invoke_lock:
            return handler(event, context)

    def invocations(self) -> dict[str, int]:
        """How many times each function ran here (what "nothing runs between events" is checked by)."""
        with self._counted:
            return dict(self._invocations)

    def async_config(self, function: str) -> tuple[int, Queue | None]:
        """(maximum retries, on-failure destination queue) for asynchronous invocations."""
        for configured, (retries, destination) in ASYNC_INVOKE.items():
            if configured.value == function:
                return retries, destination
        return DEFAULT_ASYNC_RETRIES, None


def _load_handler(function: str, path: Path) -> Handler:
    module_name = f"functions.{function}.handler"
    module = sys.modules.get(module_name)
    if module is None or Path(getattr(module, "__file__", "") or "").resolve() != path.resolve():
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        # Lambda puts the function's folder on sys.path; do the same while it imports.
        sys.path.insert(0, str(path.parent))
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(module_name, None)
            raise
        finally:
            sys.path.remove(str(path.parent))
    handler = getattr(module, "lambda_handler", None)
    if not callable(handler):
        raise ImportError(f"{path} has no lambda_handler")
    return handler  # type: ignore[no-any-return]
