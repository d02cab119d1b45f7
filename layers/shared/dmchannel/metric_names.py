"""The names of the metrics the channel emits: the template's alarms name them, and a test holds them to it.

Apart from ``observability`` (whose logger and metrics read the environment when first
imported), so that anything may name a metric without setting up Powertools.
"""

from enum import StrEnum


class Metric(StrEnum):
    """Every metric the functions emit (namespace POWERTOOLS_METRICS_NAMESPACE, dimension service)."""

    DIRECT_MESSAGES_RECEIVED = "DirectMessagesReceived"
    CONVERSATION_MUTED = "ConversationMuted"
    OPT_OUTS = "OptOuts"
    OPTED_OUT_MESSAGES = "OptedOutMessages"
    OPT_CHOICES_SUPERSEDED = "OptChoicesSuperseded"  # a STOP or START older than the user's newest choice: unanswered
    BOT_ERRORS = "BotErrors"
    BOT_LATENCY = "BotLatency"
    UNANSWERED_DAILY_LIMIT = "UnansweredDailyLimit"
    DAILY_LIMIT_USED = "DailyLimitUsed"  # percent of the account's 24-hour limit used, seen before each answer
    UNANSWERED_TOO_OLD = "UnansweredTooOld"  # X allows no reply more than 24 hours after the user's DM
    DEAD_LETTERED = "DeadLettered"
    UNFORESEEN_ERRORS = "UnforeseenErrors"  # an attempt failed with an error no one foresaw (logged where)
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
    DIRECT_MESSAGES_TOO_LONG = "DirectMessagesTooLong"  # a text over X's DM limit: dropped by the webhook
    DIRECT_MESSAGES_BETWEEN_ACCOUNTS = (
        "DirectMessagesBetweenAccounts"  # one served account wrote to another: unanswered
    )
    REPLIES_REFUSED = "RepliesRefused"  # X refused a reply for good (XApiErrors says why): the DM gets no more
    XCHAT_UNREADABLE = "XChatMessagesUnreadable"  # an encrypted message that did not verify or decrypt: unanswered
    XCHAT_DELIVERIES_NOT_PLACED = "XChatDeliveriesNotPlaced"  # a chat.received naming no account or no message
    XCHAT_FAILURES = "XChatFailures"  # dimension kind: X's Failure events (RateLimitUpsell, ...), never answered
    SUBSCRIPTIONS_MISSING = (
        "SubscriptionsMissing"  # an account's X Activity API subscription missing, or on another webhook
    )
    X_SPEND_USED = "XSpendUsed"  # percent of the account's DailyXSpendLimitUsd its last 24 hours cost (alarms: 80, 100)
    UNANSWERED_SPEND_LIMIT = "UnansweredSpendLimit"  # a DM left unanswered: the account's X spend limit is reached
    X_CREDITS_EXHAUSTED = "XCreditsExhausted"  # X refused a send for want of credits (402) or its usage cap
    X_CREDITS_RESTORED = "XCreditsRestored"  # the probe went through: sending resumed by itself
    XCHAT_REPLIES_RESENT = "XChatRepliesResent"  # a reply X reported failed (a Failure event), sent again once
    XCHAT_REPLIES_FAILED = "XChatRepliesFailed"  # a reply X reported failed that cannot go again (keys, trust, twice)
    XCHAT_MESSAGE_REQUESTS = "XChatMessageRequests"  # pending message requests seen (each run counts them again)
    XCHAT_REQUEST_MESSAGES_QUEUED = "XChatRequestMessagesQueued"  # a request's message the webhook never delivered
    XCHAT_REQUEST_CHECKS_FAILED = "XChatRequestChecksFailed"  # an account's requests could not be read this run
    XCHAT_NOT_ANSWERED = "XChatEventsNotAnswered"  # reactions, edits, media, groups: logged and counted only
    XCHAT_TOKEN_REFUSED = "XChatTokenRefused"  # noqa: S105 - X refused an account's XChat token: its DMs are held
    XCHAT_TOKEN_REFRESH_FAILED = "XChatTokenRefreshFailed"  # noqa: S105 - the token keeper could not refresh an OAuth 2.0 token
