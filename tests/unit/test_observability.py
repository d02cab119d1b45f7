"""Every alarm of the template watches a metric the code emits (or one AWS emits)."""

from devstack.template import load_template, resources_of_type
from dmchannel.observability import Metric

TEMPLATE = load_template()
NAMESPACE = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]


def test_every_alarm_on_the_channels_namespace_names_an_emitted_metric() -> None:
    alarms = resources_of_type(TEMPLATE, "AWS::CloudWatch::Alarm")
    ours = {name: alarm["MetricName"] for name, alarm in alarms.items() if alarm["Namespace"] == NAMESPACE}
    assert ours, "the template has alarms on the channel's metrics"
    unknown = {name: metric for name, metric in ours.items() if metric not in set(Metric)}
    assert not unknown, f"alarms on metrics the code never emits: {unknown}"


def test_other_alarms_watch_aws_metrics() -> None:
    alarms = resources_of_type(TEMPLATE, "AWS::CloudWatch::Alarm").values()
    assert {alarm["Namespace"] for alarm in alarms} <= {NAMESPACE, "AWS/SQS", "AWS/Lambda"}
