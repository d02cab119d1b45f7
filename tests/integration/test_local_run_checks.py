"""`make run` and `make` refuse what they cannot use in one line, before starting or deleting anything."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.stack_process import COMMAND, free_port, stack_environment
from tests.conftest import ROOT

MAKE = shutil.which("make") or "/usr/bin/make"


@pytest.mark.parametrize(
    ("variable", "value", "allowed"),
    [
        ("LOCAL_PORT", "99999", "a number from 1 to 65535"),
        ("LOCAL_PORT", "abc", "a number from 1 to 65535"),
        ("X_ACCOUNTS", "garbage", "token:secret pairs separated by commas"),
        ("X_ACCOUNTS", "4337869214-token:secret,4337869215", "token:secret pairs separated by commas"),
        ("X_ACCESS_TOKEN", "no-account-id", "the account's numeric id, a dash"),
        ("BOT_KIND", "rasa", "one of faq, http, lex, bedrock"),
    ],
)
def test_a_bad_variable_is_one_line_naming_it_and_what_it_may_be(variable: str, value: str, allowed: str) -> None:
    environment = stack_environment(free_port())
    environment[variable] = value
    ran = subprocess.run(COMMAND, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60, check=False)
    assert ran.returncode == 1
    (line,) = ran.stderr.splitlines()
    assert line.startswith(f"error: {variable}") and allowed in line
    assert "Traceback" not in ran.stdout + ran.stderr and "running locally" not in ran.stdout


def test_make_stops_rather_than_replace_a_venv_of_another_python(tmp_path: Path) -> None:
    for name in ("Makefile", "requirements"):
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy)(ROOT / name, tmp_path / name)
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("#!/bin/sh\necho 3.9\n", encoding="utf-8")  # a venv made with another Python
    python.chmod(0o755)
    finds = tmp_path / "finds"
    finds.mkdir()
    (finds / "python3").symlink_to(sys.executable)  # what this shell finds: not 3.9
    environment = {"PATH": f"{finds}:/usr/bin:/bin", "HOME": str(tmp_path)}
    ran = subprocess.run(
        [MAKE, "run"], cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=60, check=False
    )
    assert ran.returncode != 0
    assert ".venv is for Python 3.9, but this shell finds Python 3." in ran.stdout
    assert "make clean" in ran.stdout and "PYTHON=" in ran.stdout
    assert python.read_text(encoding="utf-8").endswith("echo 3.9\n")  # left as it was
