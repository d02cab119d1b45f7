"""X's list prices (``dmchannel/prices.toml``, dated): what an account's billable events cost it.

The file is the one ``make bench`` prices a million DMs with; it ships in the layer, read on
first use (only an account with a DailyXSpendLimitUsd needs it).
"""

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PRICES_FILE = Path(__file__).resolve().parent.parent / "prices.toml"


@dataclass(frozen=True)
class XPrices:
    """X's pay-per-use prices (USD), as published on their date."""

    per_dm_received_event: float  # each dm.received / chat.received event delivered
    per_dm_sent: float  # each DM sent
    date: str

    def cost(self, received: int, sent: int) -> float:
        """What that many received events and sends cost (to a millionth of a dollar: sums of prices land on it)."""
        return round(received * self.per_dm_received_event + sent * self.per_dm_sent, 6)


@cache
def x_prices() -> XPrices:
    """The prices in the layer's file."""
    prices = tomllib.loads(PRICES_FILE.read_text(encoding="utf-8"))
    x = prices["x"]
    return XPrices(float(x["per_dm_received_event"]), float(x["per_dm_sent"]), str(prices["date"]))
