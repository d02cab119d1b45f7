"""`x-dm-channel usage`: X's credit balance, and what the channel's billable events cost, at the dated list prices.

X bills each DM event it delivers (``dm.received``, ``chat.received``) and each DM sent. The last 24
hours are counted per account from the table (the DMs' records, and the ledger's hourly sends);
the last 30 days, for all accounts, from the channel's CloudWatch metrics (the table keeps DMs 15 days).
"""

import argparse
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import requests

from dmchannel.storage.ledger import Ledger
from dmchannel.storage.table import Prefix
from dmchannel.x.app_api import AppApi, Credits
from dmchannel.x.prices import XPrices, x_prices
from xdm_cli.aws_stack import account_ids, accounts_prefix
from xdm_cli.context import activity_api, credentials, state_table

NAMESPACE, SERVICE = "XDmChannel", "x-dm-channel"


def _received_in_24_hours(table: str, accounts: list[str]) -> dict[str, int]:
    """Each account's DMs first seen in the last 24 hours (one scan of the table)."""
    received = dict.fromkeys(accounts, 0)
    scan: Any = {
        "TableName": table,
        "FilterExpression": "begins_with(pk, :dm) AND seen_at >= :since",
        "ExpressionAttributeValues": {
            ":dm": {"S": f"{Prefix.DM.value}#"},
            ":since": {"N": str(int(time.time() - 86_400))},
        },
        "ProjectionExpression": "pk",
    }
    for page in boto3.client("dynamodb").get_paginator("scan").paginate(**scan):
        for item in page.get("Items", []):
            account = item["pk"]["S"].split("#")[1]
            if account in received:
                received[account] += 1
    return received


def _metric_sum(name: str, days: int) -> float:
    """A channel metric's sum over the last days (CloudWatch: 0 when none was recorded)."""
    now = datetime.now(UTC)
    answer = boto3.client("cloudwatch").get_metric_statistics(
        Namespace=NAMESPACE,
        MetricName=name,
        Dimensions=[{"Name": "service", "Value": SERVICE}],
        StartTime=now - timedelta(days=days),
        EndTime=now,
        Period=86_400,
        Statistics=["Sum"],
    )
    return float(sum(point.get("Sum", 0.0) for point in answer.get("Datapoints", [])))


def _line(prices: XPrices, what: str, received: float, sent: float) -> str:
    return f"{what:<34} {received:>9,.0f} {sent:>9,.0f}  ${prices.cost(int(received), int(sent)):,.2f}"


def usage(args: argparse.Namespace) -> str:
    """X's credit balance (where X tells it), and the billable events of the last 24 hours and 30 days, priced."""
    table = state_table(args)
    primary = credentials(args).bot_user_id
    accounts = [args.account] if args.account else [primary, *account_ids(accounts_prefix(args.stack))]
    balance = AppApi(args.x_api_base_url, activity_api(args).bearer_token(), requests.Session()).credits()
    lines = [
        f"X's credits: ${balance.total:,.2f} (prepaid ${balance.prepaid:,.2f}, free ${balance.free:,.2f})"
        if isinstance(balance, Credits)
        else f"X's credits: unknown ({balance} to GET /2/usage/credits; see the developer console)"
    ]
    prices = x_prices()
    lines.append(f"{'billable events, prices of ' + prices.date:<34} {'received':>9} {'sent':>9}  cost")
    dynamodb = boto3.client("dynamodb")
    for account, received in _received_in_24_hours(table, accounts).items():
        sent = Ledger(dynamodb, table, account, daily_limit=1, replies_per_message=1).used_in_24_hours()
        lines.append(_line(prices, f"account {account}, last 24 hours", received, sent))
    month = (_metric_sum("DirectMessagesReceived", 30), _metric_sum("RepliesSent", 30))
    lines.append(_line(prices, "all accounts, last 30 days", *month))
    return "\n".join(lines)
