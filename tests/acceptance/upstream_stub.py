"""A small OpenAI-compatible server for the batch upstream tests: a real HTTP server on a free port, in a
thread of the test process, so mockfiles' own HTTP client is what is tested.

What it answers is read from the request: the last message's `content` of a chat completion (or the
`input` of an embedding) may ask for a behaviour:

- `error:CODE`    answers CODE with an OpenAI error envelope;
- `html`          answers 502 with an HTML page (a proxy's);
- `slow:SECONDS`  waits that long, then answers 200;
- `drop`          closes the connection without a byte of answer;
- anything else   answers 200: a chat.completion whose message says `echo: TEXT`, usage counted from
  TEXT (an embedding answer for /v1/embeddings).

It keeps every request (path, headers, body) and the most requests it held at once.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class UpstreamStub:
    def __init__(self, *, delay: float = 0.0) -> None:
        self.delay = delay  # added to every answer, so concurrent requests overlap
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms wait for an ACK

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with stub.lock:
                    stub.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    stub.in_flight += 1
                    stub.max_in_flight = max(stub.max_in_flight, stub.in_flight)
                try:
                    stub.answer(self, json.loads(body))
                finally:
                    with stub.lock:
                        stub.in_flight -= 1

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> UpstreamStub:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def bodies(self) -> list[Any]:
        with self.lock:
            return [json.loads(r["body"]) for r in self.requests]

    @staticmethod
    def text(body: dict[str, Any]) -> str:
        if "messages" in body:
            return str(body["messages"][-1]["content"])
        return str(body.get("input", ""))

    def answer(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        text = self.text(body)
        time.sleep(self.delay)
        if text == "drop":
            handler.connection.shutdown(socket.SHUT_RDWR)
            handler.close_connection = True
            return
        if text.startswith("slow:"):
            time.sleep(float(text.removeprefix("slow:")))
        if text.startswith("error:"):
            status = int(text.removeprefix("error:"))
            error = {"message": f"Stub refused with {status}.", "type": "invalid_request_error", "param": None, "code": f"stub_{status}"}
            self.send(handler, status, json.dumps({"error": error}, indent=2).encode())
            return
        if text == "html":
            self.send(handler, 502, b"<html><body>502 Bad Gateway</body></html>", "text/html")
            return
        words = len(text.split())
        if handler.path == "/v1/embeddings":
            answer: dict[str, Any] = {"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": [0.5, -0.25]}],
                                      "model": body.get("model"), "usage": {"prompt_tokens": words, "total_tokens": words}}
        else:
            answer = {
                "id": f"chatcmpl-stub{len(self.requests)}", "object": "chat.completion", "created": 1700000000, "model": body.get("model"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": f"echo: {text}"}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": words, "completion_tokens": words + 1, "total_tokens": 2 * words + 1},
            }
        # Pretty-printed, as some servers answer: mockfiles must still write one line per answer.
        self.send(handler, 200, json.dumps(answer, indent=2).encode())

    @staticmethod
    def send(handler: BaseHTTPRequestHandler, status: int, payload: bytes, content_type: str = "application/json") -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)
