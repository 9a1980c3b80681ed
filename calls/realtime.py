"""The model's websocket: a small interface, and the OpenAI Realtime connection behind it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol
from urllib.parse import quote

from websockets.asyncio.client import connect


class ModelConnection(Protocol):
    """What the bridge needs from a model connection (a websockets ClientConnection fits)."""

    async def send(self, message: str) -> None: ...

    async def close(self) -> None: ...

    def __aiter__(self) -> AsyncIterator[str | bytes]: ...


class ModelConnector(Protocol):
    async def __call__(self, *, model: str, timeout: float) -> ModelConnection: ...


class OpenAIRealtimeConnector:
    """Opens `OPENAI_REALTIME_URL?model=…` with the bearer key."""

    def __init__(self, base_url: str, api_key: str) -> None:
        self._base_url = base_url
        self._api_key = api_key

    async def __call__(self, *, model: str, timeout: float) -> ModelConnection:
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        return await connect(
            f"{self._base_url}?model={quote(model)}",
            additional_headers=headers,
            open_timeout=timeout,
            compression=None,  # base64 audio barely compresses; deflate would only cost CPU
            max_size=2**22,
            proxy=None,
        )

    def __repr__(self) -> str:  # never show the key
        return f"OpenAIRealtimeConnector({self._base_url!r})"
