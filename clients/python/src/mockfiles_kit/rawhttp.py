"""A client socket that speaks HTTP/1.1 by hand, for what an HTTP library cannot send or show: exact
header bytes (non-ASCII, repeated, missing `Host`), pipelining, `Expect: 100-continue`, odd methods, heads
too large, and whether the server closes the connection.

Every socket has a timeout, so nothing can hang. Each whole answer read is handed to `on_answer` when one
is given (the acceptance suite checks it against the OpenAI wire contract there).
"""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from .server import HOST, Server


@dataclass
class Answer:
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def error(self) -> dict[str, Any]:
        """The `error` object of an error answer, checked to be exactly the envelope the service writes:
        `error` (message, type, param, code) then `detail` (message, code: the same two again)."""
        body = self.json()
        assert list(body) == ["error", "detail"], f"error answer must be exactly {{'error': ..., 'detail': ...}}, got {body!r}"
        error = body["error"]
        assert list(error) == ["message", "type", "param", "code"], body
        assert body["detail"] == {"message": error["message"], "code": error["code"]} and list(body["detail"]) == ["message", "code"], body
        return error


# Called with the server, the request's method and path, and the whole answer read.
AnswerHook = Callable[[Server, str, str, Answer], None]


class Conn:
    """One client socket to a server, with a buffer for what it has received."""

    def __init__(self, sock: socket.socket, server: Server, on_answer: AnswerHook | None = None) -> None:
        self.sock = sock
        self.server = server
        self.on_answer = on_answer
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_until_refused(self, data: bytes) -> None:
        """Sends `data`; the server may answer and hang up before it has read all of it (a head too
        large): a reset or broken pipe while sending is not an error then."""
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def readable(self, within: float) -> bool:
        return bool(self.buffer) or bool(select.select([self.sock], [], [], within)[0])

    def _fill(self, deadline: float) -> None:
        left = deadline - time.monotonic()
        assert left > 0, f"no complete answer in time; received {self.buffer[:300]!r}"
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            raise AssertionError(f"no complete answer in time; received {self.buffer[:300]!r}") from None
        assert chunk, f"connection closed mid-answer: {self.buffer[:300]!r}"
        self.buffer += chunk

    def read_head(self, within: float = 10.0) -> tuple[int, str, dict[str, str]]:
        deadline = time.monotonic() + within
        while b"\r\n\r\n" not in self.buffer:
            self._fill(deadline)
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        version, status, *reason = lines[0].split(" ", 2)
        assert version == "HTTP/1.1", lines[0]
        names = [k.strip().lower() for k, _, _ in (line.partition(":") for line in lines[1:])]
        repeated = {n for n in names if names.count(n) > 1 and n != "set-cookie"}
        assert not repeated, f"header(s) {sorted(repeated)} sent more than once: {lines}"
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        return int(status), (reason[0] if reason else ""), headers

    def read_answer(self, within: float = 10.0, *, method: str = "POST", path: str = "/") -> Answer:
        """The next whole answer (Content-Length framed; none for HEAD, 204 and 304); interim 1xx answers
        are returned as they come."""
        deadline = time.monotonic() + within
        status, reason, headers = self.read_head(within)
        if 100 <= status < 200:
            return Answer(status, reason, headers, b"")
        length = 0 if method == "HEAD" or status in (204, 304) else int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            self._fill(deadline)
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        answer = Answer(status, reason, headers, body)
        if self.on_answer is not None:
            self.on_answer(self.server, method, path, answer)
        return answer

    def closed_within(self, seconds: float) -> bool:
        """Whether the server closes the connection (FIN or reset) within `seconds`, sending nothing more."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                return False
            except ConnectionResetError:
                return True
            if not chunk:
                return True
            self.buffer += chunk
            raise AssertionError(f"more bytes after the answer: {self.buffer[:300]!r}")

    def silent_for(self, seconds: float) -> bool:
        """Nothing more arrives, and the connection stays open, for `seconds`."""
        return not self.buffer and not select.select([self.sock], [], [], seconds)[0]


def request(method: str, target: str, *headers: bytes | str, body: bytes = b"", version: str = "HTTP/1.1", host: str | None = "mockfiles") -> bytes:
    """A request's bytes exactly as given: each header a full `Name: value` line (bytes are sent as they
    are, so non-ASCII ones stay raw); `Host` first unless `host` is None; Content-Length when there is a body."""
    lines: list[bytes] = [f"{method} {target} {version}".encode()]
    if host is not None:
        lines.append(f"Host: {host}".encode())
    lines += [h if isinstance(h, bytes) else h.encode() for h in headers]
    if body:
        lines.append(f"Content-Length: {len(body)}".encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def connector(on_answer: AnswerHook | None = None) -> Iterator[Callable[[Server], Conn]]:
    """Body of a `connect` fixture: yields connect(server) -> Conn; every socket is closed at the end."""
    with ExitStack() as stack:

        def make(server: Server) -> Conn:
            return Conn(stack.enter_context(socket.create_connection((HOST, server.port), timeout=10)), server, on_answer)

        yield make
