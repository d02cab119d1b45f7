"""Runs the deployed Lambda handlers in this process, one event at a time, as one Lambda instance does."""

import importlib.util
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"


@dataclass
class LocalLambdaContext:
    """The fields and method of Lambda's context object that Powertools and the handlers use."""

    function_name: str = "local-function"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:local-function"
    aws_request_id: str = "local-request"
    timeout_seconds: float = 30.0
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the timeout."""
        return int(max(0.0, self.timeout_seconds - (time.monotonic() - self.started)) * 1000)


class FunctionDied(BaseException):
    """The function's process died (a timeout, a crash): no handler of its own runs after it, as in Lambda."""


def import_function(name: str) -> ModuleType:
    """Import functions/<name>/app.py afresh, as a cold start does (reads the environment now)."""
    module_name = f"{name}_app"
    sys.modules.pop(module_name, None)
    spec = importlib.util.spec_from_file_location(module_name, FUNCTIONS_DIR / name / "app.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"no function named {name}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class LocalFunction:
    """A handler that takes one event at a time, with a fresh context for each."""

    name: str
    module: ModuleType
    timeout_seconds: float = 30.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    invocations: int = 0
    busy_seconds: float = 0.0  # time spent in the handler, over every invocation

    def invoke(self, event: dict[str, Any], _context: Any = None) -> Any:
        """Invoke the handler (a second caller waits, as a single instance would make it)."""
        with self._lock:
            self.invocations += 1
            started = time.perf_counter()
            context = LocalLambdaContext(
                function_name=self.name,
                aws_request_id=f"{self.name}-{self.invocations}",
                timeout_seconds=self.timeout_seconds,
            )
            try:
                return self.module.lambda_handler(event, context)
            finally:
                self.busy_seconds += time.perf_counter() - started
