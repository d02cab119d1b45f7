"""The template as operators meet it: alarms and widgets on emitted metrics, log retention, explained findings."""

import json
import re
from typing import Any

from devstack.template import load_template, resources_of_type
from dmchannel.observability import Metric
from scripts.include_dashboard import DASHBOARD

TEMPLATE = load_template()
NAMESPACE = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]
AWS_NAMESPACES = {"AWS/SQS", "AWS/Lambda"}


def test_every_alarm_on_the_channels_namespace_names_an_emitted_metric() -> None:
    alarms = resources_of_type(TEMPLATE, "AWS::CloudWatch::Alarm")
    ours = {name: alarm["MetricName"] for name, alarm in alarms.items() if alarm["Namespace"] == NAMESPACE}
    assert len(ours) >= 5, "the template has alarms on the channel's metrics"
    unknown = {name: metric for name, metric in ours.items() if metric not in set(Metric)}
    assert not unknown, f"alarms on metrics the code never emits: {unknown}"
    assert {alarm["Namespace"] for alarm in alarms.values()} <= {NAMESPACE, *AWS_NAMESPACES}


def dashboard_metrics() -> list[tuple[str, str]]:
    """(namespace, metric) of every widget line, with CloudWatch's "." and "..." shorthands resolved."""
    body = DASHBOARD.read_text(encoding="utf-8")
    widgets: list[dict[str, Any]] = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))["widgets"]
    named: list[tuple[str, str]] = []
    for widget in widgets:
        previous: list[Any] = []
        for line in widget["properties"]["metrics"]:
            if isinstance(line[0], dict):  # an expression: SEARCH('{Namespace,...} MetricName="Name"', ...)
                found = re.search(r"\{([^,}]+)[^}]*\} MetricName=\"(\w+)\"", line[0]["expression"])
                assert found, line
                named.append((found[1], found[2]))
                continue
            cells = [cell for cell in line if not isinstance(cell, dict)]
            if cells[0] == "...":
                cells = previous[: len(previous) - len(cells) + 1] + cells[1:]
            cells = [previous[i] if cell == "." else cell for i, cell in enumerate(cells)]
            named.append((cells[0], cells[1]))
            previous = cells
    return named


def test_every_dashboard_widget_names_an_emitted_metric() -> None:
    named = dashboard_metrics()
    ours = {metric for namespace, metric in named if namespace == NAMESPACE}
    assert {Metric.ANSWER_LATENCY, Metric.X_API_ERRORS, Metric.DIRECT_MESSAGES_RECEIVED} <= ours
    assert not ours - set(Metric), f"widgets on metrics the code never emits: {ours - set(Metric)}"
    assert {namespace for namespace, _ in named} <= {NAMESPACE, *AWS_NAMESPACES}


def test_every_function_keeps_its_logs_for_the_retention_parameter() -> None:
    functions = resources_of_type(TEMPLATE, "AWS::Serverless::Function")
    groups = resources_of_type(TEMPLATE, "AWS::Logs::LogGroup")
    for name, function in functions.items():
        group = function["LoggingConfig"]["LogGroup"]["Ref"]
        assert groups[group]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name


def test_every_security_finding_suppressed_says_why() -> None:
    skipped = [
        (name, skip)
        for name, resource in TEMPLATE["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skipped, "the template records its accepted findings"
    for name, skip in skipped:
        assert skip["id"].startswith("CKV_"), name
        assert len(skip.get("comment", "")) > 40, f"{name} {skip['id']}: say why it is accepted"


def test_every_parameter_has_one_group_and_a_label() -> None:
    interface = TEMPLATE["Metadata"]["AWS::CloudFormation::Interface"]
    grouped = [name for group in interface["ParameterGroups"] for name in group["Parameters"]]
    assert sorted(grouped) == sorted(TEMPLATE["Parameters"]), "each parameter in exactly one group"
    assert set(interface["ParameterLabels"]) == set(TEMPLATE["Parameters"])
    assert all(label["default"] for label in interface["ParameterLabels"].values())


def test_the_template_keeps_the_dashboard_in_its_own_file() -> None:
    body = TEMPLATE["Resources"]["Dashboard"]["Properties"]["DashboardBody"]
    assert isinstance(body, str) and "make deploy" in body  # what a build without dashboard.json deploys
    assert len(json.loads(re.sub(r"\$\{[^}]+\}", "x", DASHBOARD.read_text(encoding="utf-8")))["widgets"]) >= 6
