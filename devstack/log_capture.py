"""The functions' log lines as dicts, as Powertools formats them (with the DM's ids), for the local tools to read."""

import json
import logging
from typing import Any


class LogCapture(logging.Handler):
    """Keeps every line of the service's logger (attach it once the functions have loaded)."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = logging.getLogger(service)
        self.setFormatter(self.service.handlers[0].formatter)
        self.records: list[dict[str, Any]] = []
        self.service.addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the line."""
        self.records.append(json.loads(self.format(record)))

    def close(self) -> None:
        """Stop capturing."""
        self.service.removeHandler(self)
        super().close()
