"""`make deploy`: AWS checked before anything is built, and a first deploy asks at most 6 questions (SAM's included)."""

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.provision import LocalStack
from devstack.template import load_template
from scripts.include_dashboard import BUILT, DASHBOARD
from tests.conftest import ROOT

MAKE = shutil.which("make") or "/usr/bin/make"
SAM_CHANGESET_QUESTION = 1  # samconfig.toml's confirm_changeset: SAM asks "Deploy this changeset?" once
# A stand-in for the SAM CLI: it notes each call; a first deploy describes the stack on moto as CloudFormation would.
FAKE_SAM = """#!{python}
import json, shutil, sys
from devstack.provision import publish_stack
with open({calls!r}, "a") as calls:
    calls.write(json.dumps(sys.argv[1:]) + "\\n")
if sys.argv[1] == "build":  # what the deploy reads of a build: the built template
    shutil.copy("template.yaml", ".aws-sam/build/template.yaml")
if "--save-params" in sys.argv:  # a first deploy creates the stack
    publish_stack({{"WebhookUrl": "https://example.invalid/webhook"}}, {{}}, sys.argv[sys.argv.index("--stack-name") + 1])
"""


def no_aws(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A shell with no AWS configuration at all, an empty home, and no instance metadata to ask."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "HOME"}
    return {**kept, "HOME": str(tmp_path), "AWS_EC2_METADATA_DISABLED": "true", **extra}


@pytest.mark.parametrize(
    ("extra", "line"),
    [
        ({}, "error: no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION, or a profile with a region)"),
        ({"AWS_REGION": "eu-west-3"}, "error: no AWS credentials: run `aws configure`, or set AWS_PROFILE"),
    ],
)
def test_make_deploy_without_aws_fails_in_one_line_before_building(
    tmp_path: Path, extra: dict[str, str], line: str
) -> None:
    ran = subprocess.run(
        [MAKE, "--no-print-directory", "deploy", f"PYTHON={sys.executable}"],
        cwd=ROOT,
        env=no_aws(tmp_path, **extra),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode != 0
    (error,) = [text for text in ran.stderr.splitlines() if text.startswith("error:")]
    assert error.startswith(line)
    assert ("AWS region: eu-west-3" in ran.stdout) == bool(extra)
    assert "Build" not in ran.stdout + ran.stderr and "?" not in ran.stdout  # nothing built, nothing asked


@pytest.fixture
def built() -> Iterator[Path]:
    """The built template's place, given back as it was (the SAM stand-in writes one there)."""
    (BUILT.parent).mkdir(parents=True, exist_ok=True)
    before = BUILT.read_bytes() if BUILT.exists() else None
    yield BUILT
    if before is None:
        BUILT.unlink(missing_ok=True)
    else:
        BUILT.write_bytes(before)


def deploy(tmp_path: Path, answers: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """scripts/deploy.py on moto with the SAM stand-in; what it printed and each call SAM got."""
    calls = tmp_path / "sam-calls"
    sam = tmp_path / "sam"
    sam.write_text(FAKE_SAM.format(python=sys.executable, calls=str(calls)), encoding="utf-8")
    sam.chmod(0o755)
    environment = {**os.environ, "SAM": str(sam), "PYTHONPATH": f"{ROOT / 'layers' / 'shared'}{os.pathsep}{ROOT}"}
    environment.pop("STACK", None)
    ran = subprocess.run(
        [sys.executable, "scripts/deploy.py"],
        cwd=ROOT,
        env=environment,
        input=answers,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    made = calls.read_text(encoding="utf-8").splitlines() if calls.exists() else []
    calls.unlink(missing_ok=True)
    return ran, made


def questions(ran: subprocess.CompletedProcess[str]) -> int:
    return ran.stdout.count("]: ")


def test_a_first_deploy_asks_at_most_six_questions_and_the_next_none(
    stack: LocalStack, built: Path, tmp_path: Path
) -> None:
    first, calls = deploy(tmp_path, "\n\n\n\n")  # Enter to each: the defaults
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("AWS region: us-east-1\nAWS credentials: arn:aws:")
    assert questions(first) + SAM_CHANGESET_QUESTION <= 6
    assert calls == [
        '["build"]',
        '["deploy", "--stack-name", "x-dm-channel", "--region", "us-east-1", '
        '"--parameter-overrides", "XWebhookApi=v2", "--save-params"]',
    ]
    assert "WebhookUrl: https://example.invalid/webhook" in first.stdout  # the outputs, at the end
    body = load_template(built)["Resources"]["Dashboard"]["Properties"]["DashboardBody"]
    assert body == {"Fn::Sub": DASHBOARD.read_text(encoding="utf-8")}  # what was deployed has the dashboard

    again, calls = deploy(tmp_path, "")
    assert again.returncode == 0 and questions(again) == 0, again.stderr
    assert calls[-1] == '["deploy", "--stack-name", "x-dm-channel", "--region", "us-east-1"]'


def test_an_account_activity_v1_webhook_adds_its_label_and_still_asks_at_most_six(
    stack: LocalStack, built: Path, tmp_path: Path
) -> None:
    ran, calls = deploy(tmp_path, "dm-bot\n\nv1.1\nprod\narn:aws:sns:us-east-1:123456789012:alarms\n")
    assert ran.returncode == 0, ran.stderr
    assert questions(ran) + SAM_CHANGESET_QUESTION == 6
    assert calls[-1] == (
        '["deploy", "--stack-name", "dm-bot", "--region", "us-east-1", "--parameter-overrides", '
        '"XWebhookApi=v1.1", "XEnvLabel=prod", "AlarmTopicArn=arn:aws:sns:us-east-1:123456789012:alarms", '
        '"--save-params"]'
    )
