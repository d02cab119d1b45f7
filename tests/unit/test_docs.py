"""The README stays short, and the docs pages say everything the stack has: every parameter, metric, alarm, command."""

import argparse
import re

from devstack.template import load_template, resources_of_type
from dmchannel.observability import Metric
from scripts.docs import CONFIGURATION, configuration
from scripts.measured import load, pages_as_measured
from tests.conftest import ROOT
from xdm_cli.main import parser

README = ROOT / "README.md"
PAGES = sorted((ROOT / "docs").glob("*.md"))
EVERYTHING = "\n".join(path.read_text(encoding="utf-8") for path in [README, *PAGES])
TEMPLATE = load_template()


def commands(top: argparse.ArgumentParser) -> set[str]:
    """Every command's words, as a user types them ("dead-letters redrive", "xchat keys register")."""
    found: set[str] = set()
    for action in top._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                below = commands(sub)
                found |= {f"{name} {words}" for words in below} if below else {name}
    return found


def test_the_readme_is_at_most_12000_characters() -> None:
    assert len(README.read_text(encoding="utf-8")) <= 12_000


def test_the_configuration_page_is_what_make_docs_writes() -> None:
    assert CONFIGURATION.read_text(encoding="utf-8") == configuration(TEMPLATE), "run `make docs`"


def test_every_parameter_metric_alarm_and_command_is_documented() -> None:
    names = {
        *TEMPLATE["Parameters"],
        *(str(metric) for metric in Metric),
        *resources_of_type(TEMPLATE, "AWS::CloudWatch::Alarm"),
        *TEMPLATE["Outputs"],
    }
    assert {name for name in names if f"`{name}`" not in EVERYTHING} == set()
    said = {words for words in commands(parser()) if f"{words}" not in EVERYTHING}
    assert said == set()


def test_the_commands_are_read_from_the_command_line() -> None:
    found = commands(parser())
    assert {"credentials set", "xchat keys register", "dead-letters redrive", "status"} <= found


def test_every_link_between_pages_leads_somewhere() -> None:
    for path in [README, *PAGES]:
        for target in re.findall(r"\]\(([^)#:]+\.(?:md|png))(?:#[^)]*)?\)", path.read_text(encoding="utf-8")):
            assert (path.parent / target).exists(), f"{path.name} links to {target}"


def test_the_pages_the_readme_promises_exist() -> None:
    expected = {"deploy", "x-setup", "xchat", "bots", "configuration", "operations", "costs", "troubleshooting"}
    assert expected | {"architecture"} <= {path.stem for path in PAGES}


def test_every_measured_number_in_the_docs_is_the_last_measurement() -> None:
    pages = pages_as_measured()
    assert {page.name for page in pages} >= {"costs.md", "operations.md"}
    for page, (text, measured) in pages.items():
        assert text == measured, f"{page.name} is not what make bench and make drill last measured: run `make docs`"


def test_the_last_measurement_keeps_dynamodb_under_10_requests_a_dm_and_the_drills_clean() -> None:
    measured = load()
    assert all(sum(row["operations"].values()) <= 10 for row in measured["cost"]["faq"])
    total = measured["drill"]["rows"][-1]
    faults = dict(zip(measured["drill"]["head"], total, strict=True))
    assert [faults[name] for name in ("lost", "no outcome", "twice", "mixed", "over limit", "unreadable")] == ["0"] * 6
