"""The media-stream websocket: a thin Channels adapter around `CallRunner`."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings

from voiceagent.db import off_loop

from . import services
from .bridge.actions import EndReason
from .carriers.registry import carrier as carrier_named
from .live import call_group, layer_turn
from .realtime import ModelConnector, OpenAIRealtimeConnector
from .runner import CallRunner

logger = logging.getLogger(__name__)
LISTEN_RETRY_FIRST_S = 0.1
LISTEN_RETRY_MAX_S = 5.0


def default_model_connector() -> ModelConnector:
    return OpenAIRealtimeConnector(settings.OPENAI_REALTIME_URL, settings.OPENAI_API_KEY)


class MediaStreamConsumer(AsyncWebsocketConsumer):
    """A carrier's bidirectional media stream for one call (`/<carrier>/media/<call id>/<token>/`)."""

    # Tests replace this to put a fake model behind the bridge.
    model_connector_factory = staticmethod(default_model_connector)

    runner: CallRunner | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.joined: list[str] = []

    async def __call__(self, scope, receive, send) -> None:
        """Channels' consumer loop, minus a new task and an `asyncio.wait` per audio frame.

        Channels races the socket against the channel layer, making a fresh task for every
        message: at 50 frames a second per call that is most of what dispatch costs. Here
        the socket is read directly, and the rare staff command from the layer is handled
        by a task of its own. The runner already takes model events concurrently with
        frames, so a command arriving between two frames needs no further ordering.
        """
        self.scope, self.base_send = scope, send
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        listener = None
        if self.channel_layer is not None:
            self.channel_name = await self.channel_layer.new_channel()
            self.channel_receive = functools.partial(self.channel_layer.receive, self.channel_name)
            listener = asyncio.create_task(self._listen_to_layer())
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass
        finally:
            if listener is not None:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener

    async def _listen_to_layer(self) -> None:
        """Staff commands, until the call ends. A failure here never ends the call, nor goes unseen."""
        delay = LISTEN_RETRY_FIRST_S
        while True:
            try:
                message = await self.channel_receive()
            except Exception as exc:  # the layer's own outages are retried inside it; this is anything else
                logger.error("staff commands for this call: the channel layer failed (%s)", type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, LISTEN_RETRY_MAX_S)
                continue
            delay = LISTEN_RETRY_FIRST_S
            try:
                await self.dispatch(message)
            except Exception:
                logger.exception("staff command %.40s failed", message.get("type"))

    async def dispatch(self, message: dict) -> None:
        """Channels' dispatch minus its `aclose_old_connections()` before every message.

        That call hops to the single sync thread and back: 50 times a second per call, each
        frame queued behind whatever database work that thread is doing. This consumer never
        touches the database on the event loop; `off_loop` manages its own connections.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        """Authenticate the handshake (signature, then the one-time token) before opening anything.

        Refused handshakes get 403 and never cost a model session. An unsigned one is only
        logged: like an unsigned webhook, it creates nothing.
        """
        kwargs = self.scope["url_route"]["kwargs"]
        carrier = carrier_named(kwargs["carrier"])
        call_sid, token = kwargs["call_sid"], kwargs.get("token", "")
        if not (carrier.configured() and carrier.stream_is_signed(self.scope)):
            logger.warning("media stream for %.64s refused: missing or wrong %s", call_sid, carrier.signature_header)
            await self.close()
            return
        claim = off_loop(services.stream_claim)
        setup, problem = await claim(carrier=carrier.name, call_sid=call_sid, token=token)
        if setup is None:
            logger.warning("media stream for %.64s refused: %s", call_sid, problem)
            await off_loop(services.stream_refused_record)(call_sid=call_sid, problem=problem)
            await self.close()
            return
        await self.accept()
        # The runner opens the model's socket at once: its handshake overlaps the join's round trip
        # to the channel layer instead of following it (in a burst of 50, each took tens of ms).
        self.runner = CallRunner(
            setup,
            send_to_caller=self._send_text,
            close_caller=self.close,
            connect_model=self.model_connector_factory(),
            connect_timeout=settings.REALTIME_CONNECT_TIMEOUT,
            start_timeout=settings.STREAM_START_TIMEOUT,
            telephony=carrier.wire(),
            control=carrier.control(),
        )
        await self._join(call_group(call_sid))

    async def _join(self, group: str) -> None:
        """Listen for staff commands; without a working channel layer the call still goes on."""
        try:
            # Not in turn (calls/live.py): the call's frames wait for connect() to return.
            await self.channel_layer.group_add(group, self.channel_name)
            # Not in self.groups: Channels would leave those before disconnect() and, with
            # Redis down, raise before the call is finalised. We leave it ourselves, last.
            self.joined.append(group)
        except Exception as exc:  # the layer is down: the call goes on without staff hang-up
            logger.warning("could not join %s (%s): staff hang-up unavailable for this call", group, type(exc).__name__)

    async def call_hangup(self, event: dict) -> None:
        """A staff member ended the call from the live page (possibly in another process)."""
        if self.runner is not None:
            await self.runner.hang_up(EndReason.STAFF_ENDED, f"ended by {event.get('by', 'staff')}")

    async def call_answered_by(self, event: dict) -> None:
        """The carrier's answering-machine verdict on this outbound call (POST /twilio/amd/, any process)."""
        if self.runner is not None:
            await self.runner.answered_by(str(event.get("answered_by", "")))

    async def _send_text(self, text: str) -> None:
        await self.base_send({"type": "websocket.send", "text": text})  # self.send(), minus two hops

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.runner is None:
            return
        await self.runner.on_caller_frame(text_data if text_data is not None else "<binary frame>")

    async def disconnect(self, code: int) -> None:
        if self.runner is not None:
            await self.runner.caller_gone()
        for group in self.joined:
            try:
                async with layer_turn():
                    await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # the layer is gone; nothing left to leave
                logger.debug("could not leave %s", group)
