"""The kit's hand-written HTTP/1.1 client (mockfiles_kit.rawhttp), with every whole answer read going
through the suite's wire checker (OpenAI headers on /v1, schema, error envelope)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx2
from mockfiles_kit import Server
from mockfiles_kit.rawhttp import Answer, Conn, request
from mockfiles_kit.rawhttp import connector as unchecked_connector

from wirecheck import CHECKER

__all__ = ["Answer", "Conn", "connector", "request", "wire_check"]


def wire_check(server: Server, method: str, path: str, answer: Answer) -> None:
    """The answer through the suite's wire checker (OpenAI headers, schema, error envelope)."""
    response = httpx2.Response(answer.status, headers=answer.headers, content=answer.body, request=httpx2.Request(method, server.root_url + path))
    assert CHECKER.inspect(response) == []


def connector() -> Iterator[Callable[[Server], Conn]]:
    """Body of the `connect` fixture: wire-checked sockets, closed when the test ends."""
    yield from unchecked_connector(on_answer=wire_check)
