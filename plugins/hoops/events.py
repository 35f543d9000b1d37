"""Structured log lines: one JSON object per event, so a run can be followed and searched in the UI."""

from __future__ import annotations

import json
import logging
from typing import Any


def emit(log: logging.Logger, event: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log `{"event": event, **fields}` as one JSON line (values that aren't JSON become strings)."""
    log.log(level, json.dumps({"event": event, **fields}, default=str, sort_keys=False))
