"""Unit tier: the code alone, no network and no other process (a test that tries fails at once)."""

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_socket import disable_socket, enable_socket


def _refuse(*_: Any, **__: Any) -> None:
    raise RuntimeError("a unit test may not start another process: move it to tests/integration")


@pytest.fixture(autouse=True)
def no_network_no_subprocess(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Sockets (even loopback) and subprocesses are refused while a unit test runs."""
    disable_socket(allow_unix_socket=False)
    monkeypatch.setattr(subprocess.Popen, "__init__", _refuse)
    yield
    enable_socket()
