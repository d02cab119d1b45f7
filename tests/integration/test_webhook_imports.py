"""The webhook's cold start imports only what it needs: no HTTP client for X, no bot code."""

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("app", "functions/webhook/app.py")
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps(sorted(sys.modules)))
"""


def test_webhook_imports_no_x_client_and_no_bot() -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "layers" / "shared"),
        "QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/DmQueue.fifo",
        "SECRET_ID": "XCredentialsSecret",
    }
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    modules = set(json.loads(out.stdout))
    assert "dmchannel.webhook.handling" in modules
    heavy_ones = (
        "requests",
        "oauthlib",
        "requests_oauthlib",
        "yaml",
        "pydantic",
        "aws_xray_sdk",
        "aws_lambda_powertools.event_handler",
        "aws_lambda_powertools.utilities.parameters",  # every provider it has: secrets are cached by our own
        "chat_xdk",  # XChat is queued encrypted: the webhook never decrypts
    )
    for heavy in heavy_ones:
        assert heavy not in modules, heavy
    ours = {name for name in modules if name.startswith("dmchannel.")}
    # Nothing of the responder, the bots, the storage or X's client: only the webhook's own package and the basics.
    assert {name for name in ours if not name.startswith("dmchannel.webhook.")} == {
        "dmchannel.webhook",
        "dmchannel.accounts",
        "dmchannel.credentials",
        "dmchannel.metric_names",
        "dmchannel.observability",
        "dmchannel.queued_dm",
        "dmchannel.settings",
        "dmchannel.x",
        "dmchannel.xchat",  # its package docstring only,
        "dmchannel.xchat.envelope",  # and the envelope's Thrift reader: the signed ids of an XChat message
        "dmchannel.x.limits",  # X's limits, named once (constants, no imports)
    }


def test_the_local_tools_set_the_functions_environment_before_powertools_reads_it() -> None:
    """`make run` and `make drill` import the functions after setting their environment: nothing of theirs earlier."""
    probe = "import json, sys, devstack.run, devstack.drill; print(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'layers' / 'shared'}:{ROOT}"}
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert "dmchannel.observability" not in set(json.loads(out.stdout))
