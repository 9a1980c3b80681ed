"""The OpenAI text API (Responses) through the official client: one request, one answer.

The same code path serves OpenAI and the local stand-in (`calls/standin/text_api.py`): only
`OPENAI_BASE_URL` differs. The client's own retries are off; Celery retries with backoff instead,
so a step's attempts and last error are visible on the Call.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from django.conf import settings

from .errors import PostCallError

if TYPE_CHECKING:
    import openai

#: Sent when no key is configured: the stand-in ignores it, OpenAI answers 401 (a permanent failure).
PLACEHOLDER_KEY = "no-key-configured"
#: Statuses worth another try besides 5xx: timeout, conflict, rate limit.
RETRYABLE_STATUS = {408, 409, 429}


def preload_client() -> None:
    """Import and build the client now, not on a post-call thread while calls are live (see calls/warm.py)."""
    from openai.resources.responses import Responses  # noqa: F401 - the package loads it lazily, on this name

    configured_client()


@functools.lru_cache(maxsize=4)
def _client(api_key: str, base_url: str, timeout: float) -> openai.OpenAI:
    """One client per configuration, shared by every post-call thread (it is thread-safe).

    A new client per request cost about 20 ms of CPU (an HTTP pool and a TLS context), twice a
    call, with the GIL held: when 50 calls hung up together, the others' audio stalled.
    """
    import openai

    return openai.OpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)


def configured_client() -> openai.OpenAI:
    return _client(settings.OPENAI_API_KEY or PLACEHOLDER_KEY, settings.OPENAI_BASE_URL, settings.POSTCALL_TEXT_TIMEOUT)


def text_response(
    *, model: str, instructions: str, text: str | list[dict[str, str]], json_schema: dict[str, Any] | None = None
) -> str:
    """The model's text answer to `text` (or to a conversation: role/content messages);
    with `json_schema`, a JSON document fitting it (strict)."""
    import openai  # large, and only post-call work needs it (the server preloads it)

    options: dict[str, Any] = {}
    if json_schema is not None:
        schema_format = {"type": "json_schema", "name": "extraction", "schema": json_schema, "strict": True}
        options["text"] = {"format": schema_format}
    client = configured_client()
    try:
        # store=False: call transcripts are not kept at OpenAI beyond answering.
        response = client.responses.create(model=model, instructions=instructions, input=text, store=False, **options)
    except openai.APITimeoutError as exc:
        raise PostCallError("the text API timed out", transient=True) from exc
    except openai.APIConnectionError as exc:
        raise PostCallError("the text API could not be reached", transient=True) from exc
    except openai.APIStatusError as exc:
        retry = exc.status_code >= 500 or exc.status_code in RETRYABLE_STATUS
        raise PostCallError(f"the text API answered HTTP {exc.status_code}", transient=retry) from exc
    except openai.OpenAIError as exc:  # e.g. a malformed body; the message may quote it, so only the type
        raise PostCallError(f"the text API failed ({type(exc).__name__})", transient=True) from exc
    answer = response.output_text.strip()
    if not answer:
        raise PostCallError("the text API returned no text", transient=True)
    return answer
