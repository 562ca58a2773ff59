"""A webhook receiver the tests run: an HTTP server on a free loopback port that keeps every delivery
(headers and body as received) and answers each with the next status of a script (200 once the script
is used up). Real HTTP, so what is checked is what mockfiles put on the wire."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float


class WebhookReceiver:
    def __init__(self, statuses: list[int] | None = None) -> None:
        self.deliveries: list[Delivery] = []
        self.statuses = list(statuses or [])
        # Seconds to wait before answering, one per delivery in order (none once used up).
        self.delays: list[float] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.deliveries.append(Delivery(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time()))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    delay = receiver.delays.pop(0) if receiver.delays else 0.0
                time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/openai"

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Delivery]:
        """The first `count` deliveries, waiting up to `timeout` seconds for them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.deliveries) >= count:
                    return list(self.deliveries[:count])
            time.sleep(0.05)
        raise AssertionError(f"{len(self.deliveries)} webhook deliveries after {timeout} s, want {count}: {self.deliveries}")

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
