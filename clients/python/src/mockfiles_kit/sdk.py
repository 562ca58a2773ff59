"""The official OpenAI SDK pointed at a mockfiles server.

`openai` is imported here only, when a client is made, so the rest of the kit works without it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .server import API_KEY

if TYPE_CHECKING:
    import httpx2
    import openai


def openai_client(
    base_url: str,
    api_key: str = API_KEY,
    *,
    on_response: Iterable[Callable[[httpx2.Response], None]] = (),
    transport: httpx2.BaseTransport | None = None,
    **options: Any,
) -> openai.OpenAI:
    """`openai.OpenAI` on `base_url` (a server's `base_url`, ending in /v1); every answer is handed to the
    `on_response` hooks first (the acceptance suite checks the wire contract there). `options` go to the
    client as they are, e.g. `max_retries=0` to see every error the server answers. `transport` replaces
    the HTTP transport (the suite's shared mode spreads requests over two instances with one)."""
    import openai

    extra = {"transport": transport} if transport is not None else {}
    http = openai.DefaultHttpxClient(event_hooks={"response": list(on_response)}, **extra)
    return openai.OpenAI(base_url=base_url, api_key=api_key, http_client=http, **options)
