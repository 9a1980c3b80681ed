"""Scripted function calls: the stand-in asks the client to run a tool, as the real model does.

With ``StandinOptions.tool_calls``, a caller turn is answered with the next scripted
function call instead of speech; the client runs the tool and returns a
``function_call_output`` item, then asks for a response, which is spoken as usual (the
``goodbye`` clip after ``end_call``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from calls.standin.wire import Event, new_id

if TYPE_CHECKING:
    from calls.standin.session import StandinSession


class FunctionCallResponse:
    """A response whose only output is one function call (same interface as ResponseStream)."""

    cancelling = False

    def __init__(self, session: StandinSession, name: str, arguments: dict[str, Any]) -> None:
        self.response_id = new_id("resp")
        self.item_id = new_id("item")
        self.call_id = new_id("call")
        self.name, self.arguments = name, json.dumps(arguments)
        self._session = session

    def start(self) -> None:
        self._session.spawn(self._run())

    def cancel(self, reason: str) -> None:
        pass  # the call is sent in one go; nothing left to stop

    async def finished(self) -> None:
        pass

    async def abort(self) -> None:
        pass

    async def _run(self) -> None:
        session = self._session
        item: Event = {"id": self.item_id, "object": "realtime.item", "type": "function_call"}
        item |= {"status": "in_progress", "call_id": self.call_id, "name": self.name, "arguments": ""}
        where = {"response_id": self.response_id, "item_id": self.item_id, "output_index": 0, "call_id": self.call_id}
        response = {"object": "realtime.response", "id": self.response_id, "status": "in_progress", "output": []}
        session.items[self.item_id] = item
        session.called_tools[self.call_id] = self.name
        await session.emit("response.created", response=response)
        await session.emit("response.output_item.added", response_id=self.response_id, output_index=0, item=item)
        await session.emit("response.function_call_arguments.delta", **where, delta=self.arguments)
        await session.emit("response.function_call_arguments.done", **where, name=self.name, arguments=self.arguments)
        item |= {"status": "completed", "arguments": self.arguments}
        await session.emit("response.output_item.done", response_id=self.response_id, output_index=0, item=item)
        session.stream_finished(self)
        usage = {"total_tokens": 20, "input_tokens": 15, "output_tokens": 5}
        done = response | {"status": "completed", "output": [item], "usage": usage}
        await session.emit("response.done", response=done)
