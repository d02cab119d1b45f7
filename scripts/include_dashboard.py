"""Put dashboard.json into the built template as the dashboard's body (`make build` and `make deploy` run it).

The dashboard's 300 lines of widgets live in their own file, so template.yaml reads as the stack it
describes; the deployed template is the built one, with the body in place.
"""

import sys
from datetime import date
from pathlib import Path

import yaml

from devstack.template import load_template

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = ROOT / "dashboard.json"
BUILT = ROOT / ".aws-sam" / "build" / "template.yaml"


def include_dashboard(built: Path = BUILT) -> None:
    """Replace the built template's dashboard body with dashboard.json (its ${AWS::...} resolved at deploy)."""
    template = load_template(built)
    version = template.get("AWSTemplateFormatVersion")
    if isinstance(version, date):  # YAML reads an unquoted 2010-09-09 as a date; CloudFormation wants the text
        template["AWSTemplateFormatVersion"] = version.isoformat()
    body = DASHBOARD.read_text(encoding="utf-8")
    template["Resources"]["Dashboard"]["Properties"]["DashboardBody"] = {"Fn::Sub": body}
    built.write_text(yaml.safe_dump(template, sort_keys=False, width=1_000), encoding="utf-8")


if __name__ == "__main__":
    include_dashboard(Path(sys.argv[1]) if len(sys.argv) > 1 else BUILT)
