"""Stop autobahn formatting debug-log arguments for every websocket frame daphne writes.

autobahn's `sendData` and its Twisted adapter's `dataReceived` pass `hltype(...)` and
`hlval(...)` (names coloured through click) as arguments to `self.log.debug(...)`, so the
formatting runs for every read and write even with debug logging off. With 50 calls py-spy
put it at about 5% of daphne's CPU. Afterwards autobahn's debug lines show plain names
instead of coloured ones; nothing else changes.
"""

from __future__ import annotations

from typing import Any

from autobahn.twisted import websocket as twisted_adapter
from autobahn.websocket import protocol

MODULES = (protocol, twisted_adapter)


def _plain(value: Any, *args: Any, **kwargs: Any) -> Any:
    return value


def skip_debug_formatting() -> None:
    for module in MODULES:
        module.hltype = _plain
        module.hlval = _plain
