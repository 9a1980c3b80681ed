"""The OpenAI text API (Responses) through the official client: one request, one answer.

The same code path serves OpenAI and the local stand-in (`calls/standin/text_api.py`): only
`OPENAI_BASE_URL` differs. The client's own retries are off; Celery retries with backoff instead,
so a step's attempts and last error are visible on the Call.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from .errors import PostCallError

#: Sent when no key is configured: the stand-in ignores it, OpenAI answers 401 (a permanent failure).
PLACEHOLDER_KEY = "no-key-configured"
#: Statuses worth another try besides 5xx: timeout, conflict, rate limit.
RETRYABLE_STATUS = {408, 409, 429}


def text_response(*, model: str, instructions: str, text: str, json_schema: dict[str, Any] | None = None) -> str:
    """The model's text answer to `text`; with `json_schema`, a JSON document fitting it (strict)."""
    # Imported here: the openai package is large and only post-call work needs it.
    import openai

    options: dict[str, Any] = {}
    if json_schema is not None:
        schema_format = {"type": "json_schema", "name": "extraction", "schema": json_schema, "strict": True}
        options["text"] = {"format": schema_format}
    client = openai.OpenAI(
        api_key=settings.OPENAI_API_KEY or PLACEHOLDER_KEY,
        base_url=settings.OPENAI_BASE_URL,
        timeout=settings.POSTCALL_TEXT_TIMEOUT,
        max_retries=0,
    )
    try:
        with client:
            # store=False: call transcripts are not kept at OpenAI beyond answering.
            response = client.responses.create(
                model=model, instructions=instructions, input=text, store=False, **options
            )
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
