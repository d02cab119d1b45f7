"""End-to-end tier: `make run` as a subprocess, driven over HTTP as a user would (and by a browser)."""

from collections.abc import Iterator

import pytest

from devstack.stack_process import LocalStackProcess


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStackProcess]:
    """One local stack for a test module, stopped (and checked to stop cleanly) at its end."""
    with LocalStackProcess() as running:
        yield running
