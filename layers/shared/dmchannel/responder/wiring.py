"""How a responder is put together: per container the clients and the bots, per account its stores, per DM the rest.

Lambda's handler, the tests, the drills and `make run` all build responders here, so
what they run is what is deployed. One ``Stores`` per account lives as long as the
container, so the ledger reads the closed hours of the 24-hour limit once an hour. A
batch's conversations are answered side by side: what the stores keep of the DM being
answered is its thread's own, and clients are made one at a time.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
from botocore.exceptions import BotoCoreError, ClientError

from dmchannel.accounts import Account, AccountDirectory
from dmchannel.bots.base import Bot
from dmchannel.bots.factory import build_bot
from dmchannel.credentials import load_bot_token
from dmchannel.observability import logger
from dmchannel.queued_dm import QueuedDM, Surface
from dmchannel.responder.answering import SAFETY_MARGIN_SECONDS, Responder, Stores, no_checkpoint
from dmchannel.responder.lifecycle import Checkpoint
from dmchannel.responder.settings import ResponderSettings
from dmchannel.storage.conversation import Conversations
from dmchannel.storage.credits import CreditsHold
from dmchannel.storage.dm_records import DmRecords
from dmchannel.storage.kept_menus import KeptMenus
from dmchannel.storage.ledger import Ledger
from dmchannel.storage.own_sends import OwnSends
from dmchannel.storage.sealing import PLAIN, Sealer
from dmchannel.storage.send_window import SendWindow
from dmchannel.x.direct_messages import XClient
from dmchannel.x.surface_client import SurfaceClient

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from dmchannel.storage.memory import ConversationMemory
    from dmchannel.storage.token_budget import TokenBudget
    from dmchannel.storage.x_spend import XSpend
    from dmchannel.xchat.api import ChatApi, TokenSource
    from dmchannel.xchat.session import FirstSecret


@dataclass
class Wiring:
    """The responder function's parts that outlive one DM."""

    settings: ResponderSettings
    dynamodb: "DynamoDBClient"
    accounts: AccountDirectory
    function_dir: Path
    http: requests.Session = field(default_factory=requests.Session)
    clock: Callable[[], float] = time.time  # the wall clock; the drills run on a simulated one
    checkpoint: Callable[[Checkpoint, str], None] = no_checkpoint  # the drills crash here
    sns: Callable[[], Any] | None = None  # makes the SNS client, on the first handover
    bot_override: Bot | None = None  # a test's bot instead of the configured one
    _stores: dict[tuple[str, ResponderSettings], Stores] = field(default_factory=dict, init=False)
    # Stores, bots and clients are made one at a time: once each, and boto3 makes clients safely in one thread only.
    _making: threading.Lock = field(default_factory=threading.Lock, init=False)
    _bots: dict[tuple[ResponderSettings, str, str], Bot] = field(default_factory=dict, init=False)
    _xchat_secrets: "FirstSecret | None" = field(default=None, init=False)  # made on the first XChat DM
    _credits: CreditsHold = field(init=False)

    def __post_init__(self) -> None:
        """What the container learns of X for every account: whether X's credits hold."""
        probe_seconds = self.settings.credits_probe_minutes * 60
        self._credits = CreditsHold(self.dynamodb, self.settings.table_name, probe_seconds, clock=self.now)

    def now(self) -> float:
        """The clock's time (read through here, so that a clock set later is the one used)."""
        return self.clock()

    def settings_for(self, account: Account) -> ResponderSettings:
        """The function's settings with the account's own over them (checked like the environment)."""
        return _settings_with(self.settings, self.function_dir, frozenset(account.settings.items()))

    def records(self, account_id: str) -> DmRecords:
        """The account's DM records."""
        return DmRecords(self.dynamodb, self.settings.table_name, account_id, clock=self.now)

    def stores(self, account_id: str, own: ResponderSettings) -> Stores:
        """The account's stores, made once per container (and per settings, which an account's secret may change)."""
        key = (account_id, own)
        with self._making:
            if key not in self._stores:
                self._stores[key] = self._new_stores(account_id, own)
            return self._stores[key]

    def _new_stores(self, account_id: str, own: ResponderSettings) -> Stores:
        """The account's stores, shared by the threads that answer its DMs (each keeps what its own DM read)."""
        table, dynamodb, clock = own.table_name, self.dynamodb, self.now
        ledger = Ledger(
            dynamodb,
            table,
            account_id,
            daily_limit=own.daily_limit,
            replies_per_message=own.replies_per_message,
            reserved=min(own.reserved_for_opt_outs, own.daily_limit // 2),  # a small limit keeps half for answers
            clock=clock,
        )
        return Stores(
            ledger=ledger,
            records=self.records(account_id),
            window=SendWindow(dynamodb, table, account_id, clock=clock),
            conversations=Conversations(dynamodb, table, account_id, clock=clock),
            own_sends=OwnSends(dynamodb, table, account_id, clock=clock),
            credits=self._credits,
            spend=self._spend(own, ledger),
        )

    def _spend(self, own: ResponderSettings, ledger: Ledger) -> "XSpend | None":
        """The account's X bill, where it has a limit (none: no prices read, no request made)."""
        if not own.daily_x_spend_limit_usd:
            return None
        from dmchannel.storage.x_spend import XSpend  # noqa: PLC0415 - only an account with a limit needs it
        from dmchannel.x.prices import x_prices  # noqa: PLC0415

        limit, account_id = own.daily_x_spend_limit_usd, ledger.account_id
        return XSpend(
            self.dynamodb, own.table_name, account_id, limit_usd=limit, prices=x_prices(), ledger=ledger, clock=self.now
        )

    def token_budget(self, own: ResponderSettings, account_id: str) -> "TokenBudget | None":
        """The account's daily token budget, where its bot bills tokens and the account has a budget."""
        if not (own.bot_kind.bills_tokens and own.daily_token_budget):
            return None
        from dmchannel.storage.token_budget import TokenBudget  # noqa: PLC0415 - the Bedrock assistant's

        return TokenBudget(
            self.dynamodb, own.table_name, account_id, daily_tokens=own.daily_token_budget, clock=self.now
        )

    def bot(self, own: ResponderSettings, secret_id: str = "", budget: "TokenBudget | None" = None) -> Bot:
        """One bot per configuration and account, made on first use.

        Its bearer token (an HTTP bot's) is the account's own: from the account's secret (secret_id), or none.
        """
        if self.bot_override is not None:
            return self.bot_override
        key = (own, secret_id, budget.account_id if budget else "")
        with self._making:
            if key not in self._bots:
                token = (lambda: load_bot_token(secret_id)) if secret_id else (lambda: None)
                self._bots[key] = build_bot(own, token, budget.spend if budget else None)
            return self._bots[key]

    def surface(
        self, account: Account, own: ResponderSettings, dm: QueuedDM, seconds_left: Callable[[], float]
    ) -> tuple[SurfaceClient, Sealer]:
        """The client of the surface the DM came through, and how its conversation's kept text is sealed."""
        if dm.surface is not Surface.XCHAT:
            x = XClient(
                account.credentials,
                own.x_api_base_url,
                self.http,
                api_version=own.x_dm_api,
                read_timeout=own.x_read_timeout,
                seconds_left=seconds_left,
            )
            return x, PLAIN

        # XChat's modules (and X's SDK after them) load on the first XChat DM: legacy DMs never pay for them.
        from dmchannel.xchat.api import ChatApi  # noqa: PLC0415
        from dmchannel.xchat.session import FirstSecret, xchat_session  # noqa: PLC0415

        def api(token: "TokenSource") -> "ChatApi":
            return ChatApi(own.x_api_base_url, self.http, token, own.x_read_timeout, seconds_left)

        if self._xchat_secrets is None:  # where the accounts' XChat material is, learnt for the container's life
            self._xchat_secrets = FirstSecret(self.now)
        secret_id = self._xchat_secrets.of(account.xchat_secret_ids or (account.secret_id,))
        session = xchat_session(account.id, secret_id, api)
        session.keyring.clock = self.clock  # the keys it learns are dated by the responder's clock
        return session, session  # an XChat conversation's kept menus and memory are sealed with its key

    def responder(self, account: Account, dm: QueuedDM, remaining_seconds: Callable[[], float]) -> Responder:
        """The responder of one DM to the account (lifecycle.Ended when its surface cannot be opened)."""
        own = self.settings_for(account)
        x, sealer = self.surface(account, own, dm, lambda: remaining_seconds() - SAFETY_MARGIN_SECONDS)
        return self.assemble(account.id, own, x, sealer, remaining_seconds, secret_id=account.secret_id)

    def assemble(
        self,
        account_id: str,
        own: ResponderSettings,
        x: SurfaceClient,
        sealer: Sealer,
        remaining_seconds: Callable[[], float],
        *,
        secret_id: str = "",
    ) -> Responder:
        """A responder for the account on a surface client: its stores, its bot, and what its bot kind needs."""
        table = own.table_name
        budget = self.token_budget(own, account_id)
        return Responder(
            bot=self.bot(own, secret_id, budget),
            x=x,
            stores=self.stores(account_id, own),
            menus=KeptMenus(self.dynamodb, table, account_id, sealer=sealer, clock=self.now),
            settings=own,
            remaining_seconds=remaining_seconds,
            clock=self.now,
            memory=self._memory(own, account_id, sealer),
            budget=budget,
            notify=self._notifier(own.handover_topic_arn),
            checkpoint=self.checkpoint,
        )

    def _memory(self, own: ResponderSettings, account_id: str, sealer: Sealer) -> "ConversationMemory | None":
        """What the channel remembers of conversations, for a bot that keeps no state of its own (Bedrock)."""
        if not (own.bot_kind.keeps_no_state and own.memory_turns):
            return None
        from dmchannel.storage.memory import ConversationMemory  # noqa: PLC0415 - the Bedrock assistant's

        return ConversationMemory(
            self.dynamodb,
            own.table_name,
            account_id,
            max_turns=own.memory_turns,
            ttl_seconds=own.memory_minutes * 60,
            sealer=sealer,
            clock=self.now,
        )

    def _notifier(self, topic_arn: str) -> Callable[[str], None] | None:
        """Publishes a handover to the operator's SNS topic, if there is one; a failure is logged, never blocking."""
        sns = self.sns
        if not topic_arn or sns is None:
            return None

        def publish(notice: str) -> None:
            try:
                with self._making:
                    client = sns()
                client.publish(TopicArn=topic_arn, Subject="A user asked for a person", Message=notice)
            except (BotoCoreError, ClientError) as error:
                logger.warning("The handover notice was not published", error=type(error).__name__)

        return publish


@cache
def _settings_with(
    settings: ResponderSettings, function_dir: Path, own: frozenset[tuple[str, str]]
) -> ResponderSettings:
    """The settings with an account's own over them (cached: an account's settings change rarely)."""
    return ResponderSettings.from_env(function_dir, overrides=dict(own)) if own else settings
