"""An Amazon Lex V2 bot: RecognizeText with the X user id as the session id."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from dmchannel.bots.base import BotError, Button, Reply, Turn

if TYPE_CHECKING:
    from mypy_boto3_lexv2_runtime import LexRuntimeV2Client

RETRYABLE_CODES = frozenset({"ThrottlingException", "InternalFailureException", "DependencyFailedException"})


def _card_reply(card: Mapping[str, Any]) -> Reply:
    lines = [card.get("title", ""), card.get("subtitle", ""), card.get("imageUrl", "")]
    buttons = tuple(
        Button(str(b["text"]), str(b.get("value", b["text"]))) for b in card.get("buttons", []) if b.get("text")
    )
    return Reply("\n".join(line for line in lines if line), buttons)


def replies_from_lex(messages: Sequence[Mapping[str, Any]]) -> list[Reply]:
    """Plain-text messages become texts; image response cards become a text and buttons."""
    replies = []
    for message in messages:
        if message.get("contentType") == "ImageResponseCard" and message.get("imageResponseCard"):
            replies.append(_card_reply(message["imageResponseCard"]))
        elif message.get("contentType") in ("PlainText", "SSML") and message.get("content"):
            replies.append(Reply(str(message["content"])))
    return replies


@dataclass
class LexBot:
    """Asks one alias of a Lex V2 bot."""

    client: "LexRuntimeV2Client"
    bot_id: str
    bot_alias_id: str
    locale_id: str

    def answer(self, turn: Turn) -> list[Reply]:
        """Send the text (or the tapped button's value) to Lex and read its messages."""
        text = turn.button_payload if turn.button_payload is not None else turn.text
        text = text.strip() or (turn.attachment_url or "")
        if not text:
            return []
        try:
            answer = self.client.recognize_text(
                botId=self.bot_id,
                botAliasId=self.bot_alias_id,
                localeId=self.locale_id,
                sessionId=turn.session_id,
                text=text[:1024],  # Lex's limit for one utterance
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            raise BotError(f"Lex refused the text: {code}", retryable=code in RETRYABLE_CODES) from error
        except BotoCoreError as error:
            raise BotError(f"no answer from Lex: {type(error).__name__}", retryable=True) from error
        return replies_from_lex(answer.get("messages", []))
