"""`make docs`: docs/configuration.md from template.yaml, and every page's measured tables from docs/measured.json.

The measured tables are as `make bench` and `make drill` left them; a test fails when either is stale.

Each parameter group of the template's AWS::CloudFormation::Interface is a section, each parameter
a row with its label, default, allowed values and description, so the page never drifts from what
`sam deploy` accepts.
"""

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from devstack.template import load_template
from scripts.measured import pages_as_measured

ROOT = Path(__file__).resolve().parent.parent
CONFIGURATION = ROOT / "docs" / "configuration.md"

INTRO = """# Configuration

<!-- Written by `make docs` from template.yaml: edit the template, then run `make docs`. -->

Every setting is a parameter of `template.yaml`, and each has a default: a first `make deploy`
asks only for the stack's name and region, X's webhook API and the alarms' SNS topic
([deploy.md](deploy.md)). Set any other parameter with
`PARAMETERS="BotKind=http BotUrl=https://…" make deploy`; a later deploy keeps the values it is not given.
Locally, `make run` reads each parameter's variable (after its name) from the environment instead.
An account's own settings go in its secret, as these variables, over the stack's parameters
([x-setup.md](x-setup.md#several-bot-accounts)).
"""

OUTRO = """
The stack also sets `QUEUE_URL`, `SECRET_ID`, `TABLE_NAME`, `ACCOUNTS_SECRET_PREFIX`,
`POWERTOOLS_SERVICE_NAME` (`x-dm-channel`) and `POWERTOOLS_METRICS_NAMESPACE` (`XDmChannel`).
`X_READ_TIMEOUT` (seconds to wait for X's answer to a send, default 10) can be set in the responder's
environment.
"""


def _variables(template: Mapping[str, Any]) -> dict[str, list[str]]:
    """Parameter -> the functions' environment variables set from it."""
    found: dict[str, list[str]] = {}
    functions = [template.get("Globals", {}).get("Function", {})] + [
        resource.get("Properties", {}) for resource in template["Resources"].values()
    ]
    for properties in functions:
        for name, value in properties.get("Environment", {}).get("Variables", {}).items():
            if isinstance(value, dict) and "Ref" in value and name not in found.get(value["Ref"], []):
                found.setdefault(value["Ref"], []).append(name)
    return found


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def configuration(template: Mapping[str, Any]) -> str:
    """The page's Markdown."""
    interface = template["Metadata"]["AWS::CloudFormation::Interface"]
    labels = interface["ParameterLabels"]
    variables = _variables(template)
    parts = [INTRO]
    for group in interface["ParameterGroups"]:
        parts.append(f"\n## {group['Label']['default']}\n")
        parts.append("| parameter | default | allowed | what it is |")
        parts.append("| --- | --- | --- | --- |")
        for name in group["Parameters"]:
            parameter = template["Parameters"][name]
            default = str(parameter.get("Default", ""))
            allowed = ", ".join(f"`{value}`" for value in parameter.get("AllowedValues", []))
            if not allowed and "MinValue" in parameter:
                low, high = parameter["MinValue"], parameter.get("MaxValue")
                allowed = f"{low} to {high}" if high is not None else f"{low} or more"
            named = ", ".join(f"`{variable}`" for variable in variables.get(name, []))
            title = f"`{name}`" + (f" ({named})" if named else "")
            meaning = f"**{labels[name]['default']}.** {parameter['Description']}"
            parts.append(
                f"| {title} | {f'`{_cell(default)}`' if default else 'empty'} | {allowed} | {_cell(meaning)} |"
            )
    return "\n".join(parts) + "\n" + OUTRO


if __name__ == "__main__":
    CONFIGURATION.write_text(configuration(load_template()), encoding="utf-8")
    for page, (text, measured) in pages_as_measured().items():
        if measured != text:
            page.write_text(measured, encoding="utf-8")
    sys.exit(0)
