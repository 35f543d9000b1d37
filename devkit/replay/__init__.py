"""An offline stand-in for the upstream sites (barttorvik.com and the CBBD API).

Tests run it in a background thread, `make demo` and benchmarks point the pipeline's base URL at it,
and faults can be switched on to prove the pipeline's error handling.
"""

from __future__ import annotations

from devkit.replay.cbbd import CbbdSource
from devkit.replay.faults import KINDS as FAULT_KINDS
from devkit.replay.faults import Fault
from devkit.replay.response import Response, Source
from devkit.replay.server import ReplayServer, RequestRecord, serve

__all__ = [
    "FAULT_KINDS",
    "CbbdSource",
    "Fault",
    "ReplayServer",
    "RequestRecord",
    "Response",
    "Source",
    "serve",
]
