"""Slow clients and the connection limit, over raw sockets (settings from a --config JSON file).

- `idleTimeoutSeconds`: an idle keep-alive connection is closed (each answer restarts the clock);
  a client stalled mid-body is cut off, nothing is stored, its temp file is removed; a client
  trickling its request head is cut off too (bytes of an unfinished head are not activity), while
  one trickling its body steadily is served (body chunks are activity).
- `maxConnections`: a client beyond it is served at once, in place of the connection that has waited
  longest for a request head (closed without an answer if it sent nothing); with every connection busy
  with a request, a newcomer is still answered for GET /health and gets 503 for anything else.
  (`reliability/slow_clients.py` floods the caps and the head deadline.)

Every socket has a timeout, so no test can hang; timing bounds are loose (the machine is shared).
"""

from __future__ import annotations

import json
import os
import select
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx2
import openai
import pytest
from mockfiles_kit import Server

IDLE = 2.0  # idleTimeoutSeconds of `idle_server`
SLACK = 5.0  # extra seconds a close may take on a loaded machine
MAX_CONNECTIONS = 4
HEALTH = b"GET /health HTTP/1.1\r\nHost: mockfiles\r\n\r\n"
BOUNDARY = b"connections-test-boundary"


def start_with(start_server: Callable[..., Server], tmp_path_factory: pytest.TempPathFactory, **settings: object) -> Server:
    config = tmp_path_factory.mktemp("connections") / "config.json"
    config.write_text(json.dumps(settings))
    return start_server("--config", str(config))


@pytest.fixture(scope="module")
def idle_server(start_server: Callable[..., Server], tmp_path_factory: pytest.TempPathFactory) -> Server:
    return start_with(start_server, tmp_path_factory, idleTimeoutSeconds=IDLE)


@pytest.fixture(scope="module")
def limited_server(start_server: Callable[..., Server], tmp_path_factory: pytest.TempPathFactory) -> Server:
    return start_with(start_server, tmp_path_factory, maxConnections=MAX_CONNECTIONS, idleTimeoutSeconds=120)


@pytest.fixture
def sockets() -> Iterator[Callable[[Server], socket.socket]]:
    """Factory of connected sockets (10 s timeout), all closed after the test."""
    with ExitStack() as stack:

        def connect(server: Server) -> socket.socket:
            return stack.enter_context(socket.create_connection(("127.0.0.1", server.port), timeout=10))

        yield connect


def read_response(sock: socket.socket) -> tuple[int, bytes]:
    """One whole HTTP/1.1 answer with a Content-Length: (status, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a full answer head: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(int(v) for k, _, v in (line.partition(":") for line in lines[1:]) if k.strip().lower() == "content-length")
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside an answer body"
        body += chunk
    return int(lines[0].split()[1]), body


def wait_closed(sock: socket.socket, limit: float) -> tuple[float, bytes]:
    """Seconds until the peer closes (EOF or reset) and any bytes it sent first; fails after `limit`."""
    start, received = time.monotonic(), b""
    sock.settimeout(limit)
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    except TimeoutError:
        pytest.fail(f"connection still open {limit:.0f}s later")
    return time.monotonic() - start, received


def readable(sock: socket.socket, within: float) -> bool:
    return bool(select.select([sock], [], [], within)[0])


def read_until_closed(socks: list[socket.socket], limit: float) -> list[bytes]:
    """Everything each socket receives until the server's FIN; each is closed at its EOF, as real
    clients do (the server frees a `Connection: close` slot only once the client closes too)."""
    received = {s: b"" for s in socks}
    open_ = set(socks)
    deadline = time.monotonic() + limit
    while open_ and time.monotonic() < deadline:
        for s in select.select(list(open_), [], [], 0.5)[0]:
            chunk = s.recv(65536)
            received[s] += chunk
            if not chunk:
                s.close()
                open_.discard(s)
    assert not open_, f"{len(open_)} of {len(socks)} clients still unanswered or open after {limit:.0f}s"
    return [received[s] for s in socks]


def still_serves(server: Server, connect: Callable[[Server], socket.socket]) -> None:
    assert server.process.poll() is None, f"server exited\n{server.output()}"
    s = connect(server)
    s.sendall(HEALTH)
    assert read_response(s)[0] == 200


def multipart_upload(filename: str, content: bytes) -> tuple[bytes, bytes]:
    """(request head, body) of POST /v1/files with purpose=vision (downloadable by default) and the given file."""
    body = (
        b"--%s\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nvision\r\n" % BOUNDARY
        + b"--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n" % (BOUNDARY, filename.encode())
        + b"Content-Type: application/octet-stream\r\n\r\n" + content + b"\r\n--%s--\r\n" % BOUNDARY
    )
    head = (
        b"POST /v1/files HTTP/1.1\r\nHost: mockfiles\r\nAuthorization: Bearer sk-test\r\n"
        b"Content-Type: multipart/form-data; boundary=%s\r\nContent-Length: %d\r\n\r\n" % (BOUNDARY, len(body))
    )
    return head, body


def sdk(make_client: Callable[..., openai.OpenAI], server: Server) -> openai.OpenAI:
    # `Connection: close`: no pooled connection can be closed by the idle timer under the SDK.
    return make_client(server.base_url, default_headers={"Connection": "close"})


# ---------------------------------------------------------------- idleTimeoutSeconds


def test_idle_keep_alive_connection_is_closed(idle_server: Server, sockets: Callable[[Server], socket.socket]) -> None:
    s = sockets(idle_server)
    s.sendall(HEALTH)
    assert read_response(s)[0] == 200
    time.sleep(IDLE * 0.6)
    s.sendall(HEALTH)
    assert read_response(s)[0] == 200, "a keep-alive request inside the idle window is served"
    elapsed, extra = wait_closed(s, IDLE + SLACK)
    assert extra == b""
    assert elapsed >= IDLE * 0.5, f"closed {elapsed:.2f}s after the last answer; the idle clock restarts at each answer"


def test_client_stalled_mid_body_is_cut_off_and_leaves_nothing(
    idle_server: Server, sockets: Callable[[Server], socket.socket], make_client: Callable[..., openai.OpenAI]
) -> None:
    marker = os.urandom(32)
    head, body = multipart_upload("stalled.bin", marker + os.urandom(200_000))
    s = sockets(idle_server)
    s.sendall(head + body[: len(body) // 2])
    tmp = idle_server.data_dir / "tmp"
    deadline = time.monotonic() + IDLE * 0.5
    while not any(tmp.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert any(tmp.iterdir()), "the file part streams to DATA/tmp as it arrives"

    elapsed, answer = wait_closed(s, IDLE + SLACK)
    assert answer == b"", f"a stalled upload is dropped without an answer, got {answer[:200]!r}"
    assert elapsed >= IDLE * 0.3, f"closed {elapsed:.2f}s into the stall"

    def leftovers() -> list[Path]:
        return [p for p in idle_server.data_dir.rglob("*") if p.is_file() and marker in p.read_bytes()]

    deadline = time.monotonic() + SLACK
    while (leftovers() or any(tmp.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert leftovers() == [] and list(tmp.iterdir()) == [], "a dropped upload must leave nothing in the data dir"
    assert sdk(make_client, idle_server).files.list().data == []
    # A client that broke off is the client's fault: logged as 499 ("client closed request"), never a 500.
    logged = httpx2.get(f"{idle_server.root_url}/admin/requests", timeout=5).json()["data"]
    assert [(e["method"], e["path"], e["status"]) for e in logged if e["method"] == "POST"] == [("POST", "/v1/files", 499)]
    still_serves(idle_server, sockets)


def test_request_head_trickled_a_byte_at_a_time_is_cut_off(idle_server: Server, sockets: Callable[[Server], socket.socket]) -> None:
    """Bytes of an unfinished request head do not count as activity: a client sending one every 0.3 s
    (never silent for the idle timeout) is still closed about `IDLE` after connecting, unanswered."""
    request = b"GET /health HTTP/1.1\r\nHost: mockfiles\r\nX-Slow: " + b"s" * 40 + b"\r\n\r\n"
    s = sockets(idle_server)
    start, sent = time.monotonic(), 0
    try:
        while sent < len(request) and not readable(s, 0.3):
            s.sendall(request[sent : sent + 1])
            sent += 1
    except (BrokenPipeError, ConnectionResetError):
        pass
    assert sent < len(request), "the trickled request was sent completely (it takes ~20 s); want it cut off"
    _, answer = wait_closed(s, SLACK)
    elapsed = time.monotonic() - start
    assert answer == b"", f"no answer to an unfinished head, got {answer[:200]!r}"
    assert IDLE * 0.5 <= elapsed < IDLE + SLACK, f"closed {elapsed:.2f}s after connecting ({sent} bytes sent)"
    still_serves(idle_server, sockets)


def test_body_trickled_steadily_is_served(
    idle_server: Server, sockets: Callable[[Server], socket.socket], make_client: Callable[..., openai.OpenAI]
) -> None:
    """Body chunks are activity: an upload arriving 20 bytes every 0.4 s for 2.5x the idle timeout completes."""
    content = os.urandom(120)
    head, body = multipart_upload("slow.bin", content)
    s = sockets(idle_server)
    s.sendall(head)
    start = time.monotonic()
    chunks = [body[i : i + 20] for i in range(0, len(body), 20)]
    for chunk in chunks:
        time.sleep(IDLE * 2.5 / len(chunks))
        s.sendall(chunk)
    assert time.monotonic() - start > IDLE * 2
    status, answer = read_response(s)
    assert status == 200, answer
    created = json.loads(answer)
    assert created["bytes"] == len(content)
    client = sdk(make_client, idle_server)
    assert client.files.content(created["id"]).read() == content
    client.files.delete(created["id"])


# ---------------------------------------------------------------- maxConnections


def test_a_client_beyond_max_connections_takes_the_place_of_the_longest_waiting(
    limited_server: Server, sockets: Callable[[Server], socket.socket]
) -> None:
    """Refusing to accept at the cap would leave GET /health behind slow clients: instead the connection
    that has waited longest for a request head (here: idle keep-alive ones) is closed to make room."""
    held: list[socket.socket] = []
    for _ in range(MAX_CONNECTIONS):
        s = sockets(limited_server)
        s.sendall(HEALTH)
        assert read_response(s)[0] == 200
        held.append(s)

    newcomer = sockets(limited_server)
    newcomer.sendall(HEALTH)
    assert readable(newcomer, 2.0), "a client beyond maxConnections is served at once"
    assert read_response(newcomer)[0] == 200
    _, answer = wait_closed(held[0], SLACK)
    assert answer == b"", "the longest idle connection is closed without an answer"
    assert not any(readable(s, 0.2) for s in held[1:]), "only one connection makes room"

    served: list[socket.socket] = []
    for _ in range(20):  # each one served; the server keeps no more than MAX_CONNECTIONS
        s = sockets(limited_server)
        s.sendall(HEALTH)
        assert read_response(s)[0] == 200
        served.append(s)
    for s in served[: -MAX_CONNECTIONS]:
        wait_closed(s, SLACK)
    assert not any(readable(s, 0.2) for s in served[-MAX_CONNECTIONS:])
    still_serves(limited_server, sockets)


def test_with_every_connection_busy_a_newcomer_is_answered_for_health_only(
    limited_server: Server, sockets: Callable[[Server], socket.socket]
) -> None:
    busy = []
    for i in range(MAX_CONNECTIONS):  # a request under way is never closed to make room
        head, body = multipart_upload(f"busy{i}.bin", os.urandom(50_000))
        s = sockets(limited_server)
        s.sendall(head + body[:1000])
        busy.append(s)
    time.sleep(0.5)
    s = sockets(limited_server)
    s.sendall(HEALTH)
    assert read_response(s)[0] == 200, "GET /health answers with every connection busy"
    s = sockets(limited_server)
    s.sendall(b"GET /v1/files HTTP/1.1\r\nHost: mockfiles\r\nAuthorization: Bearer sk-test\r\n\r\n")
    status, body = read_response(s)
    assert status == 503, body
    assert set(json.loads(body)["error"]) == {"message", "type", "param", "code"}
    assert not any(readable(b, 0) for b in busy)
    for b in busy:
        b.close()
    deadline = time.monotonic() + SLACK
    while time.monotonic() < deadline:
        s = sockets(limited_server)
        s.sendall(b"GET /v1/files HTTP/1.1\r\nHost: mockfiles\r\nAuthorization: Bearer sk-test\r\n\r\n")
        if read_response(s)[0] == 200:
            break
        time.sleep(0.2)
    else:
        pytest.fail("requests are not served again once the busy connections are gone")


def test_a_100_mb_text_field_is_refused_without_reading_it(
    idle_server: Server, sockets: Callable[[Server], socket.socket], make_client: Callable[..., openai.OpenAI]
) -> None:
    """A `purpose` field of 100 MB: refused with a 400 naming the field once it passes 64 KiB; the
    server stops reading, keeps no temp file and no row, and its memory does not grow by the field."""
    rss_before = rss_kib(idle_server)
    boundary = "B0undary"
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\n'.encode()
    tail = f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="f.txt"\r\n\r\nx\r\n--{boundary}--\r\n'.encode()
    size = 100 * 1024 * 1024
    request = (
        f"POST /v1/files HTTP/1.1\r\nHost: mockfiles\r\nAuthorization: Bearer sk-test\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {len(head) + size + len(tail)}\r\n\r\n"
    ).encode() + head
    s = sockets(idle_server)
    s.sendall(request)
    chunk, sent = b"a" * (1 << 20), 0
    try:
        while sent < size and not readable(s, 0):
            s.sendall(chunk)
            sent += len(chunk)
        assert readable(s, 2), "no answer to the field"
    except (BrokenPipeError, ConnectionResetError):
        pass
    # Loopback socket buffers hold several MiB, so `sent` runs ahead of what the server has read.
    assert sent < 48 << 20, f"answered only after {sent} bytes of the field; want it refused once past 64 KiB"
    answer = b""
    while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < content_length(answer):
        assert readable(s, 5), f"incomplete answer: {answer[:300]!r}"
        piece = s.recv(65536)
        assert piece, f"closed mid-answer: {answer[:300]!r}"
        answer += piece
    assert answer.startswith(b"HTTP/1.1 400"), answer[:300]
    body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert body["error"]["param"] == "purpose" and "larger than 65536 bytes" in body["error"]["message"]
    assert list((idle_server.data_dir / "tmp").iterdir()) == []
    assert sdk(make_client, idle_server).files.list().data == []
    assert rss_kib(idle_server) - rss_before < 32 * 1024, "the field must not be buffered"


def content_length(answer: bytes) -> int:
    """The Content-Length of a response whose head has arrived (0 until it has)."""
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
    for line in head.split("\r\n"):
        if line.startswith("content-length:"):
            return int(line.split(":", 1)[1])
    return 0


def rss_kib(server: Server) -> int:
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")
