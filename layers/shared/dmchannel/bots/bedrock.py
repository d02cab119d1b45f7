"""An AI assistant on Amazon Bedrock's Converse API: a system prompt, and a reply tool for text and buttons.

The model answers through the ``reply`` tool (structured output: a text and up to 20
options), so buttons never depend on parsing prose; a tapped option goes back to the
model as the user's choice. Throttling and Bedrock's 5xx are retried through the queue
like an HTTP bot's; a guardrail intervention is answered with the guardrail's message.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from dmchannel.bots.base import BotError, Button, Reply, Turn
from dmchannel.x.limits import MAX_LABEL, MAX_OPTIONS, MAX_TEXT

RETRYABLE_CODES = frozenset(
    {"ThrottlingException", "ServiceUnavailableException", "InternalServerException", "ModelTimeoutException"}
)
REPLY_TOOL = "reply"
# What the model is told of X's rules, after the prompt file's own text.
X_RULES = (
    f"You answer direct messages on X. Keep each answer short and plain (no markdown); X allows {MAX_TEXT} "
    f"characters. Always answer with the {REPLY_TOOL} tool. Offer choices as options only when they help, "
    f"at most {MAX_OPTIONS}, each title at most {MAX_LABEL} characters, with no links in titles."
)
REPLY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "text": {"type": "string", "description": "The answer to send."},
        "options": {
            "type": "array",
            "maxItems": MAX_OPTIONS,
            "description": "Choices the user can tap (optional).",
            "items": {
                "type": "object",
                "properties": {
                    "title": {"type": "string", "description": f"The button's text, at most {MAX_LABEL} characters."},
                    "payload": {"type": "string", "description": "What comes back to you when it is tapped."},
                },
                "required": ["title"],
            },
        },
    },
    "required": ["text"],
}


@dataclass(frozen=True)
class Usage:
    """What one answer cost, in tokens, and whether a guardrail stepped in."""

    input_tokens: int
    output_tokens: int
    guardrail_intervened: bool


def attachment_note(turn: Turn) -> str:
    """What the DM carries besides its text, in words the model reads ("" when nothing)."""
    if turn.attachment_type == "location" or turn.has_coordinates or turn.place_name:
        where = [f"latitude {turn.latitude}, longitude {turn.longitude}"] if turn.has_coordinates else []
        where += [turn.place_name] if turn.place_name else []
        return f"(shared a location: {', '.join(where)})" if where else "(shared a location)"
    if turn.attachment_type:
        return f"(sent a {turn.attachment_type}: {turn.attachment_url or 'no link'})"
    return ""


def user_text(turn: Turn) -> str:
    """What the model reads of the user's DM (a tapped option is said as the user's choice), and what it carries."""
    if turn.button_payload is not None:
        return f"I choose: {turn.button_payload}"
    note = attachment_note(turn)
    return f"{turn.text}\n{note}" if note and turn.text.strip() else note or turn.text


def replies_from_output(message: Mapping[str, Any]) -> list[Reply]:
    """The reply tool's input (text and options), else the message's plain text."""
    for block in message.get("content", []):
        tool = block.get("toolUse")
        if tool and tool.get("name") == REPLY_TOOL:
            given = tool.get("input") or {}
            options = [o for o in given.get("options") or [] if isinstance(o, dict) and str(o.get("title", "")).strip()]
            buttons = tuple(Button(str(o["title"]), str(o.get("payload") or o["title"])) for o in options)
            text = str(given.get("text", ""))
            return [Reply(text, buttons)] if text or buttons else []
    texts = [str(block["text"]) for block in message.get("content", []) if block.get("text")]
    return [Reply("\n\n".join(texts))] if texts else []


@dataclass
class BedrockBot:
    """Asks one Bedrock model through the Converse API."""

    client: Any  # a boto3 bedrock-runtime client
    model_id: str
    system_prompt: str
    max_tokens: int = 800
    temperature: float = 0.3
    guardrail: tuple[str, str] | None = None  # (identifier, version)
    on_usage: Callable[[Usage], None] = field(default=lambda _usage: None)

    def request(self, messages: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """The Converse request for these messages."""
        request: dict[str, Any] = {
            "modelId": self.model_id,
            "system": [{"text": f"{self.system_prompt.strip()}\n\n{X_RULES}"}],
            "messages": list(messages),
            "inferenceConfig": {"maxTokens": self.max_tokens, "temperature": self.temperature},
            "toolConfig": {
                "tools": [
                    {
                        "toolSpec": {
                            "name": REPLY_TOOL,
                            "description": "Send the answer to the user: a text, and options they can tap.",
                            "inputSchema": {"json": REPLY_SCHEMA},
                        }
                    }
                ],
                "toolChoice": {"any": {}},
            },
        }
        if self.guardrail:
            request["guardrailConfig"] = {
                "guardrailIdentifier": self.guardrail[0],
                "guardrailVersion": self.guardrail[1],
            }
        return request

    def answer(self, turn: Turn) -> list[Reply]:
        """Ask the model; raise BotError (retryable for throttling and Bedrock's own failures) when it cannot."""
        earlier = [{"role": role, "content": [{"text": text}]} for role, text in turn.history]
        messages = [*earlier, {"role": "user", "content": [{"text": user_text(turn)}]}]
        try:
            answer = self.client.converse(**self.request(messages))
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            raise BotError(f"Bedrock refused the request: {code}", retryable=code in RETRYABLE_CODES) from error
        except BotoCoreError as error:
            raise BotError(f"no answer from Bedrock: {type(error).__name__}", retryable=True) from error
        usage = answer.get("usage", {})
        intervened = answer.get("stopReason") == "guardrail_intervened"
        self.on_usage(Usage(int(usage.get("inputTokens", 0)), int(usage.get("outputTokens", 0)), intervened))
        return replies_from_output(answer.get("output", {}).get("message", {}))
