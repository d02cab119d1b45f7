"""Logs, metrics and traces, set up once for every function, and the names of the metrics the channel emits.

Everything logs through `logger` and adds context with `logger.append_keys` (never DM
text or secrets). The template's alarms name metrics from `Metric`; a test holds them to it.
The tracer is made on first use: the X-Ray SDK it loads stays off the webhook's cold start.
"""

from enum import StrEnum
from functools import cache

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric

logger = Logger()
metrics = Metrics()


class Metric(StrEnum):
    """Every metric the functions emit (namespace POWERTOOLS_METRICS_NAMESPACE, dimension service)."""

    DIRECT_MESSAGES_RECEIVED = "DirectMessagesReceived"
    CONVERSATION_MUTED = "ConversationMuted"
    OPT_OUTS = "OptOuts"
    OPTED_OUT_MESSAGES = "OptedOutMessages"
    BOT_ERRORS = "BotErrors"
    BOT_LATENCY = "BotLatency"
    UNANSWERED_DAILY_LIMIT = "UnansweredDailyLimit"
    DAILY_LIMIT_USED = "DailyLimitUsed"  # percent of the account's 24-hour limit used, seen before each answer
    UNANSWERED_TOO_OLD = "UnansweredTooOld"  # X allows no reply more than 24 hours after the user's DM
    DEAD_LETTERED = "DeadLettered"
    DIRECT_MESSAGES_HELD = "DirectMessagesHeld"  # waiting for X's send window to reset
    DIRECT_MESSAGES_DEFERRED = "DirectMessagesDeferred"  # not started: too little of the invocation was left
    REPLIES_DROPPED = "RepliesDropped"
    REPLIES_SENT = "RepliesSent"
    ANSWER_LATENCY = "AnswerLatency"  # from the user's DM (its creation at X) to the first reply X accepted
    BEDROCK_INPUT_TOKENS = "BedrockInputTokens"
    BEDROCK_OUTPUT_TOKENS = "BedrockOutputTokens"
    GUARDRAIL_INTERVENTIONS = "GuardrailInterventions"
    DAILY_TOKENS_SPENT = "TokenBudgetReached"  # a DM got the apology: the account's daily token budget is spent
    HUMAN_HANDOVERS = "HumanHandovers"  # a user asked for a person (a human keyword)
    HUMAN_TAKEOVERS = "HumanTakeovers"  # a person answered from the account: the bot stays quiet there
    LEFT_TO_PERSON = "LeftToPerson"  # a DM unanswered: a person has the conversation
    X_API_ERRORS = "XApiErrors"  # dimension code: X's error code, else the HTTP status or the error's kind
    WEBHOOK_HEALTHY = "WebhookHealthy"  # 1 or 0, from the scheduled check
    DIRECT_MESSAGES_FOR_UNKNOWN_ACCOUNT = "DirectMessagesForUnknownAccount"  # delivered for an account not served
    XCHAT_UNREADABLE = "XChatMessagesUnreadable"  # an encrypted message that did not verify or decrypt: unanswered
    XCHAT_NOT_ANSWERED = "XChatEventsNotAnswered"  # reactions, edits, media, groups: logged and counted only
    XCHAT_TOKEN_REFRESH_FAILED = "XChatTokenRefreshFailed"  # noqa: S105 - the token keeper could not refresh an OAuth 2.0 token


@cache
def tracer() -> Tracer:
    """The functions' tracer (X-Ray), made on first use."""
    return Tracer()


def count(metric: Metric, value: float = 1, unit: MetricUnit = MetricUnit.Count) -> None:
    """Add to a metric of this invocation (flushed by the handler's ``metrics.log_metrics``)."""
    metrics.add_metric(name=metric, unit=unit, value=value)


def count_by(metric: Metric, dimension: str, value: str) -> None:
    """Count one of a metric with its own dimension (written at once, apart from the invocation's metrics)."""
    with single_metric(name=metric, unit=MetricUnit.Count, value=1) as one:
        one.add_dimension(name=dimension, value=value)


def count_now(metric: Metric, value: float = 1) -> None:
    """Count a metric at once (where no handler flushes the invocation's metrics: the webhook)."""
    with single_metric(name=metric, unit=MetricUnit.Count, value=value):
        pass
