"""Every tier: the environment a Lambda function has (set before the shared package is imported), and paths."""

import json
import os
from pathlib import Path

from devstack.template import load_template

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-east-1",
    # As in Lambda, set before the shared package is first imported (its logger takes the service's name).
    **{
        name: str(value)
        for name, value in load_template()["Globals"]["Function"]["Environment"]["Variables"].items()
        if name.startswith("POWERTOOLS_")
    },
)
os.environ.pop("AWS_PROFILE", None)


def load_event(name: str) -> dict[str, object]:
    """One of the files in events/."""
    event: dict[str, object] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return event
