"""`x-dm-channel dead-letters`: the DMs on the dead-letter queue, listed (never their text) and redriven.

A redriven DM goes back on the DM queue as a new message: the responder starts a new chain
of attempts for it, continues its stored plan (the replies already sent are never sent
again), and answers it once. X allows an answer only within 24 hours of the DM, so older
ones are left where they are (the dead-letter queue keeps a message 14 days).
"""

import argparse
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3

from dmchannel.queued_dm import REASON_ATTRIBUTE, MalformedQueuedDMError, QueuedDM
from dmchannel.x.limits import REPLY_WINDOW_SECONDS
from xdm_cli.aws_stack import stack_outputs
from xdm_cli.context import CommandError

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

PEEK_SECONDS = 30  # how long the listed messages stay hidden from the responder and other commands
FIFO_IN_FLIGHT = 10  # a conversation's messages SQS hands out while they are in flight


@dataclass(frozen=True)
class DeadLetter:
    """One message of the dead-letter queue, and what it holds (None: no queued DM the channel can read)."""

    message: dict[str, Any]
    dm: QueuedDM | None

    @property
    def reason(self) -> str:
        """Why it was dead-lettered (the responder's words: never the DM's text)."""
        attributes = self.message.get("MessageAttributes", {})
        return str(attributes.get(REASON_ATTRIBUTE, {}).get("StringValue", "no reason (SQS's redrive policy)"))

    @property
    def written_at(self) -> float:
        """When the user wrote the DM (else when it was queued), epoch seconds."""
        if self.dm and self.dm.created_at_ms:
            return self.dm.created_at_ms / 1000
        return int(self.message.get("Attributes", {}).get("SentTimestamp", "0")) / 1000

    def line(self, now: float) -> str:
        """One line: the DM's id, its account, its age, the reason."""
        who = (
            f"{self.dm.dm_id}  account {self.dm.account_id}" if self.dm else f"{self.message['MessageId']}  unreadable"
        )
        return f"{who}  {_age(now - self.written_at)} old  {self.reason}"


def _age(seconds: float) -> str:
    hours, minutes = divmod(int(seconds) // 60, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def _queues(args: argparse.Namespace) -> tuple[str, str]:
    outputs = stack_outputs(args.stack)
    if "DeadLetterQueueUrl" not in outputs or "QueueUrl" not in outputs:
        raise CommandError(f"the stack {args.stack} has no QueueUrl or DeadLetterQueueUrl output: deploy this version")
    return outputs["QueueUrl"], outputs["DeadLetterQueueUrl"]


def _take_all(sqs: "SQSClient", queue_url: str) -> list[DeadLetter]:
    """Every message on the queue, hidden for PEEK_SECONDS (FIFO hands a group's messages out in order)."""
    taken: list[DeadLetter] = []
    while batch := sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=10,
        VisibilityTimeout=PEEK_SECONDS,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
    ).get("Messages", []):
        for message in batch:
            try:
                dm: QueuedDM | None = QueuedDM.from_body(message["Body"])
            except MalformedQueuedDMError:
                dm = None
            taken.append(DeadLetter(dict(message), dm))
    return taken


def _give_back(sqs: "SQSClient", queue_url: str, letters: list[DeadLetter]) -> None:
    """Make the messages left on the queue visible again at once."""
    for letter in letters:
        sqs.change_message_visibility(
            QueueUrl=queue_url, ReceiptHandle=letter.message["ReceiptHandle"], VisibilityTimeout=0
        )


def dead_letters_list(args: argparse.Namespace) -> str:
    """List the DMs on the dead-letter queue: id, account, age and reason (never the text)."""
    _, dead_letter_queue = _queues(args)
    sqs = boto3.client("sqs")
    letters = _take_all(sqs, dead_letter_queue)
    _give_back(sqs, dead_letter_queue, letters)
    if not letters:
        return "The dead-letter queue is empty."
    now = time.time()
    groups = Counter(letter.message.get("Attributes", {}).get("MessageGroupId", "") for letter in letters)
    more = any(n >= FIFO_IN_FLIGHT for n in groups.values())
    note = ["(SQS shows at most 10 of one conversation at a time: `redrive --all` moves them all)"] if more else []
    return "\n".join([letter.line(now) for letter in letters] + note)


def dead_letters_redrive(args: argparse.Namespace) -> str:
    """Put dead-lettered DMs back on the DM queue (--id ID, or --all): each is answered once, within X's 24 hours."""
    queue, dead_letter_queue = _queues(args)
    lines = redrive(
        boto3.client("sqs"),
        queue,
        dead_letter_queue,
        lambda letter: args.all or bool(letter.dm and letter.dm.dm_id == args.id),
        time.time(),
    )
    if args.id and not lines:
        raise CommandError(f"no DM {args.id} on the dead-letter queue (see `dead-letters list`)")
    return "\n".join(lines) or "Nothing to redrive."


def redrive(
    sqs: "SQSClient", queue: str, dead_letter_queue: str, chosen: Callable[[DeadLetter], bool], now: float
) -> list[str]:
    """Move the chosen dead letters still within X's 24 hours back to the DM queue; a line for each chosen.

    FIFO hands out at most ten of a conversation's messages while they are in flight: it goes on,
    ten by ten, while it moves any.
    """
    lines: list[str] = []
    while True:
        letters = _take_all(sqs, dead_letter_queue)
        moved = []
        for letter in filter(chosen, letters):
            if letter.dm is None:
                lines.append(f"{letter.line(now)}: not a DM the channel can read, left on the dead-letter queue")
            elif now - letter.written_at > REPLY_WINDOW_SECONDS:
                lines.append(f"{letter.line(now)}: X allows no answer after 24 hours, left on the dead-letter queue")
            else:
                _redrive(sqs, queue, letter.dm, letter.message, now)
                sqs.delete_message(QueueUrl=dead_letter_queue, ReceiptHandle=letter.message["ReceiptHandle"])
                moved.append(letter)
                lines.append(f"{letter.dm.dm_id}: back on the DM queue")
        _give_back(sqs, dead_letter_queue, [letter for letter in letters if letter not in moved])
        if not moved:
            return lines


def _redrive(sqs: "SQSClient", queue_url: str, dm: QueuedDM, message: dict[str, Any], now: float) -> None:
    """The DM as a new message on the DM queue (a new id: the responder counts a new chain of attempts)."""
    sqs.send_message(
        QueueUrl=queue_url,
        MessageBody=message["Body"],
        MessageGroupId=message.get("Attributes", {}).get("MessageGroupId", dm.conversation_id),
        MessageDeduplicationId=f"{dm.deduplication_id[:100]}#redrive-{int(now)}",
    )
