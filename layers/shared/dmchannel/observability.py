"""Logs, metrics and traces, set up once for every function (from the environment, at first import).

Everything logs through `logger` and adds context with `logger.append_keys` (never DM
text or secrets). The metrics' names are `Metric` (``metric_names``, which reads no
environment). The tracer is made on first use: the X-Ray SDK it loads stays off the
webhook's cold start. Metrics are added under one lock: a batch's conversations are
answered side by side, and Powertools' metrics are not made for threads.
"""

import threading
from functools import cache

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from dmchannel.metric_names import Metric

__all__ = ["Metric", "count", "count_by", "count_now", "logger", "metrics", "tracer"]

logger = Logger()
metrics = Metrics()
_counting = threading.Lock()


@cache
def tracer() -> Tracer:
    """The functions' tracer (X-Ray), made on first use; it patches only the clients the functions use."""
    return Tracer(patch_modules=("botocore", "requests"))


def count(metric: Metric, value: float = 1, unit: MetricUnit = MetricUnit.Count) -> None:
    """Add to a metric of this invocation (flushed by the handler's ``metrics.log_metrics``)."""
    with _counting:
        metrics.add_metric(name=metric, unit=unit, value=value)


def count_by(metric: Metric, dimension: str, value: str) -> None:
    """Count one of a metric with its own dimension (written at once, apart from the invocation's metrics)."""
    with _counting, single_metric(name=metric, unit=MetricUnit.Count, value=1) as one:
        one.add_dimension(name=dimension, value=value)


def count_now(metric: Metric, value: float = 1) -> None:
    """Count a metric at once (where no handler flushes the invocation's metrics: the webhook)."""
    with _counting, single_metric(name=metric, unit=MetricUnit.Count, value=value):
        pass
