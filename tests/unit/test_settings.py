"""Each function's settings: read once, checked, and a wrong value named in one line."""

from pathlib import Path

import pytest

from dmchannel.responder.settings import ResponderSettings
from dmchannel.scheduled_settings import WebhookCheckSettings
from dmchannel.settings import SettingsError, WebhookSettings

BASE = {"TABLE_NAME": "t", "QUEUE_URL": "q", "DEAD_LETTER_QUEUE_URL": "d", "SECRET_ID": "s"}
HERE = Path("/var/task")


def test_defaults_are_xs_limits_and_the_templates() -> None:
    settings = ResponderSettings.from_env(HERE, BASE)
    assert (settings.daily_limit, settings.replies_per_message) == (1000, 5)
    assert (settings.bot_kind, settings.x_dm_api, settings.mark_read) == ("faq", "v1.1", True)
    assert settings.faq_path == HERE / "faq.yaml"


def test_values_are_read_and_normalised() -> None:
    env = {
        **BASE,
        "BOT_KIND": "LEX",
        "LEX_BOT_ID": "B",
        "LEX_BOT_ALIAS_ID": "A",
        "X_DM_API": "V2",
        "MARK_READ": "false",
        "TYPING_INDICATOR": "0",
        "DAILY_MESSAGE_LIMIT": "3",
        "BOT_TIMEOUT": "2.5",
        "STOP_KEYWORDS": " Halt , STOP ",
    }
    settings = ResponderSettings.from_env(HERE, env)
    assert (settings.bot_kind, settings.x_dm_api) == ("lex", "v2")
    assert (settings.mark_read, settings.typing_indicator) == (False, False)
    assert (settings.daily_limit, settings.bot_timeout) == (3, 2.5)
    assert settings.stop_keywords == {"halt", "stop"}


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("X_DM_API", "v3", "X_DM_API='v3' is not valid: expected one of v1.1, v2"),
        ("BOT_KIND", "rasa", "BOT_KIND='rasa' is not valid: expected one of faq, http, lex, bedrock"),
        ("MARK_READ", "yes please", "MARK_READ='yes please' is not valid: expected true or false"),
        ("DAILY_MESSAGE_LIMIT", "lots", "DAILY_MESSAGE_LIMIT='lots' is not valid: expected a number 0 or more"),
        ("REPLIES_PER_MESSAGE", "6", "REPLIES_PER_MESSAGE='6' is not valid: expected a number from 0 to 5"),
        ("BOT_ATTEMPTS", "1.5", "BOT_ATTEMPTS='1.5' is not valid: expected a whole number"),
    ],
)
def test_a_wrong_value_is_one_line_naming_variable_value_and_choices(name: str, value: str, expected: str) -> None:
    with pytest.raises(SettingsError) as raised:
        ResponderSettings.from_env(HERE, {**BASE, name: value})
    assert str(raised.value) == expected


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"BOT_KIND": "http"}, "BOT_KIND=http needs BOT_URL (the bot's URL)"),
        ({"BOT_KIND": "lex", "LEX_BOT_ID": "B"}, "BOT_KIND=lex needs LEX_BOT_ID and LEX_BOT_ALIAS_ID"),
        ({"TABLE_NAME": ""}, "TABLE_NAME is not set"),
    ],
)
def test_what_a_bot_kind_needs_is_checked_at_cold_start(env: dict[str, str], expected: str) -> None:
    with pytest.raises(SettingsError) as raised:
        ResponderSettings.from_env(HERE, {**BASE, **env})
    assert str(raised.value) == expected


def test_webhook_and_webhook_check_settings() -> None:
    assert WebhookSettings.from_env({"QUEUE_URL": "q", "SECRET_ID": "s"}) == WebhookSettings("q", "s")
    with pytest.raises(SettingsError, match=r"^QUEUE_URL is not set$"):
        WebhookSettings.from_env({"SECRET_ID": "s"})
    check = WebhookCheckSettings.from_env({"SECRET_ID": "s", "WEBHOOK_URL": "https://h/webhook", "X_WEBHOOK_API": "v2"})
    assert (check.x_webhook_api, check.x_env_label) == ("v2", "")
    with pytest.raises(SettingsError, match="X_WEBHOOK_API='v3'"):
        WebhookCheckSettings.from_env({"SECRET_ID": "s", "WEBHOOK_URL": "u", "X_WEBHOOK_API": "v3"})
