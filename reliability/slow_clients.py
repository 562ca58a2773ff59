#!/usr/bin/env python3
"""Slow clients cannot lock others out: a request head has a deadline, connections are capped in all and per
peer address, and GET /health answers throughout.

The server runs with headTimeoutSeconds 2, maxConnections 40 and maxConnectionsPerAddress 12 (from a --config
file). Every client is on loopback, 127.0.0.1 and other 127.x addresses (all of 127.0.0.0/8 is loopback on
Linux), so that the per-address cap has several addresses to count.

1. Quiet: a client that sends part of a head and stops, and one that trickles a head a byte a second, each get
   408 with the error envelope and are closed about 2 s after connecting; one that sends nothing is closed
   then without an answer. Not affected: a keep-alive connection silent between two requests for longer than
   the deadline (that is the idle timeout's), and a body sent slowly after a complete head.
2. Flood: for 8 s, four addresses keep 20 connections each that send part of a head and stop (some send
   nothing), replaced as the server closes them, and another trickles a head. Throughout, GET /health on a
   new connection answers 200 within 2 s (from a flooded address too), an upload and its download work, and
   the server holds at most maxConnections connections and maxConnectionsPerAddress per address (its
   ESTABLISHED sockets in /proc/net/tcp, with a little slack for closes under way). Every slow connection
   gets 408 with the envelope (a silent one: no answer) and is closed within 2 s of connecting (sooner when
   it is closed to make room for a newcomer).
3. Busy: 40 connections each part-way through an upload body (a request under way is never closed to make
   room) hold every slot; GET /health on a new connection still answers 200, any other request on one gets
   503 with the envelope, and once the uploads go, requests are served again.

Bounded (about 25 s; every socket has a timeout) and on loopback only. Ends with `N passed, M failed`; exits 1
on any failure.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import check_clean_stop, log, work_server  # noqa: E402
from mockfiles_kit import Server, Tally  # noqa: E402

HEAD_TIMEOUT = 2.0
MAX_CONNECTIONS = 40
PER_ADDRESS = 12
SLACK = 1.5  # seconds a close may come after its deadline on a loaded machine
HEALTH_LIMIT = 2.0  # seconds GET /health may take, connecting included
FLOOD_ADDRESSES = ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"]
FLOOD_PER_ADDRESS = 20
TRICKLER = "127.0.0.5"
PROBES = ["127.0.0.1", "127.0.0.6"]  # /health from a flooded address and from a quiet one
NORMAL = "127.0.0.7"
BUSY_ADDRESSES = ["127.0.0.8", "127.0.0.9", "127.0.0.10", "127.0.0.11"]
PARTIAL_HEAD = b"GET /v1/files HTTP/1.1\r\nHost: mockfiles\r\nAuthorization: Bearer sk-test\r\nX-Slow: "
HEALTH = b"GET /health HTTP/1.1\r\nHost: mockfiles\r\nConnection: close\r\n\r\n"
BOUNDARY = b"slow-clients-boundary"


def connect(port: int, source: str, timeout: float = 5.0) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0))


def read_answer(sock: socket.socket, limit: float) -> tuple[int | None, bytes]:
    """One answer read by its Content-Length: (status, or None when none came in time; the bytes read)."""
    sock.settimeout(limit)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return None, data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        while len(body) < int(headers.get("content-length", "0")):
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
            data += chunk
        return int(lines[0].split()[1]), data
    except (OSError, ValueError, IndexError):
        return None, data


def body_of(answer: bytes) -> bytes:
    return answer.partition(b"\r\n\r\n")[2]


def envelope_problem(answer: bytes, status: int) -> str | None:
    """Why `answer` is not `status` with the OpenAI error envelope and `Connection: close`; None when it is."""
    head, _, body = answer.partition(b"\r\n\r\n")
    if not head.startswith(f"HTTP/1.1 {status} ".encode()):
        return f"want {status}, got {answer[:120]!r}"
    if b"\r\nconnection: close" not in head.lower():
        return f"no Connection: close in {head!r}"
    try:
        error = json.loads(body)["error"]
    except (ValueError, KeyError, TypeError):
        return f"body is not the envelope: {body[:200]!r}"
    if set(error) != {"message", "type", "param", "code"} or not isinstance(error["message"], str):
        return f"envelope fields {sorted(error)}"
    return None


def health(port: int, source: str) -> tuple[int | None, float]:
    """GET /health on a new connection from `source`: (status or None, seconds taken)."""
    began = time.monotonic()
    try:
        with connect(port, source, HEALTH_LIMIT + 3) as s:
            s.sendall(HEALTH)
            status, _ = read_answer(s, HEALTH_LIMIT + 3)
    except OSError:
        status = None
    return status, time.monotonic() - began


def request(port: int, source: str, raw: bytes, limit: float = 10.0) -> tuple[int | None, bytes]:
    """One request on a new connection: (status or None, the answer's bytes)."""
    try:
        with connect(port, source, limit) as s:
            s.sendall(raw)
            return read_answer(s, limit)
    except OSError:
        return None, b""


def upload(content: bytes, content_length: int | None = None) -> tuple[bytes, bytes]:
    """(head, body) of POST /v1/files with purpose=vision (downloadable by default)."""
    body = (
        b'--%s\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nvision\r\n' % BOUNDARY
        + b'--%s\r\nContent-Disposition: form-data; name="file"; filename="slow.bin"\r\n' % BOUNDARY
        + b"Content-Type: application/octet-stream\r\n\r\n" + content + b"\r\n--%s--\r\n" % BOUNDARY
    )
    head = (
        b"POST /v1/files HTTP/1.1\r\nHost: mockfiles\r\nAuthorization: Bearer sk-test\r\nConnection: close\r\n"
        b"Content-Type: multipart/form-data; boundary=%s\r\nContent-Length: %d\r\n\r\n" % (BOUNDARY, content_length or len(body))
    )
    return head, body


def upload_and_download(port: int, source: str) -> str | None:
    """A normal upload and its download on new connections; why they failed, or None."""
    content = os.urandom(3000)
    head, body = upload(content)
    status, answer = request(port, source, head + body)
    if status != 200:
        return f"upload answered {status}: {answer[:200]!r}"
    file_id = json.loads(body_of(answer))["id"]
    get = f"GET /v1/files/{file_id}/content HTTP/1.1\r\nHost: mockfiles\r\nAuthorization: Bearer sk-test\r\nConnection: close\r\n\r\n"
    status, got = request(port, source, get.encode())
    if status != 200 or body_of(got) != content:
        return f"download answered {status} with {len(body_of(got))} bytes"
    return None


@dataclass
class Slow:
    """A client connection that sends part of a head (or nothing) and then waits."""

    sock: socket.socket
    address: str
    silent: bool
    opened: float = field(default_factory=time.monotonic)
    received: bytes = b""
    closed: float | None = None

    @classmethod
    def open(cls, port: int, address: str, silent: bool) -> Slow:
        sock = connect(port, address, 2.0)
        if not silent:
            sock.sendall(PARTIAL_HEAD)
        return cls(sock, address, silent)

    def read(self) -> None:
        """Called when readable: takes what came, or notes the close."""
        try:
            chunk = self.sock.recv(65536)
        except OSError:
            chunk = b""
        self.received += chunk
        if not chunk:
            self.closed = time.monotonic()
            self.sock.close()


def watch(slows: list[Slow], until: float) -> None:
    """Reads from the open ones until every one is closed or `until` passes."""
    while (left := until - time.monotonic()) > 0:
        open_ = {s.sock: s for s in slows if s.closed is None}
        if not open_:
            return
        for sock in select.select(list(open_), [], [], min(left, 0.05))[0]:
            open_[sock].read()


def judge(tally: Tally, phase: str, slows: list[Slow], earliest: float) -> None:
    """Each one closed between `earliest` and the deadline plus slack after connecting, with a 408 envelope
    (a silent one with nothing)."""
    for s in slows:
        kind = "silent" if s.silent else "part of a head"
        if s.closed is None:
            tally.check(False, f"{phase}: a slow connection is closed by the server", f"{kind} from {s.address} still open")
            s.sock.close()
            continue
        took = s.closed - s.opened
        tally.check(earliest <= took <= HEAD_TIMEOUT + SLACK, f"{phase}: closed within the head deadline", f"{kind} from {s.address}: {took:.2f}s")
        if s.silent:
            tally.check(s.received == b"", f"{phase}: a connection that sent nothing is closed without an answer", repr(s.received[:120]))
        else:
            problem = envelope_problem(s.received, 408)
            tally.check(problem is None, f"{phase}: part of a head is answered 408 with the envelope", f"{s.address}: {problem}")


def trickle(port: int, source: str, result: dict[str, object]) -> None:
    """Sends a head a byte a second, the first at once, until the server closes (or 4x the deadline passes)."""
    head = b"GET /health HTTP/1.1\r\nHost: mockfiles\r\nX-Trickle: " + b"t" * 60 + b"\r\n\r\n"
    began, sent, received = time.monotonic(), 0, b""
    try:
        with connect(port, source) as s:
            next_byte = began
            while time.monotonic() - began < HEAD_TIMEOUT * 4:
                if time.monotonic() >= next_byte:
                    s.sendall(head[sent : sent + 1])
                    sent += 1
                    next_byte += 1.0
                if select.select([s], [], [], max(0.0, next_byte - time.monotonic()))[0]:
                    chunk = s.recv(65536)
                    received += chunk
                    if not chunk:
                        break
    except OSError:
        pass
    result.update(took=time.monotonic() - began, sent=sent, received=received)


def judge_trickler(tally: Tally, phase: str, result: dict[str, object]) -> None:
    took, sent, received = result["took"], result["sent"], result["received"]
    assert isinstance(took, float) and isinstance(sent, int) and isinstance(received, bytes)
    ok = took <= HEAD_TIMEOUT + SLACK and sent <= HEAD_TIMEOUT + SLACK + 1
    tally.check(ok, f"{phase}: a head trickled a byte a second does not outlive the deadline", f"closed after {took:.2f}s, {sent} bytes sent")
    problem = envelope_problem(received, 408)
    tally.check(problem is None, f"{phase}: the trickler is answered 408 with the envelope", str(problem))


def established(port: int) -> Counter[str]:
    """The server's ESTABLISHED connections on `port` by peer address (accepted, or queued in the backlog)."""
    counts: Counter[str] = Counter()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state = fields[1], fields[2], fields[3]
        if state == "01" and int(local.split(":")[1], 16) == port:
            counts[socket.inet_ntoa(bytes.fromhex(remote.split(":")[0])[::-1])] += 1
    return counts


def quiet_phase(tally: Tally, port: int) -> None:
    log("1. quiet: the head deadline alone")
    trickled: dict[str, object] = {}
    trickler = threading.Thread(target=trickle, args=(port, TRICKLER, trickled))
    trickler.start()
    slows = [Slow.open(port, "127.0.0.1", silent=False), Slow.open(port, "127.0.0.1", silent=True)]
    untouched: list[str] = []

    def keep_alive() -> None:
        with connect(port, "127.0.0.2") as s:
            s.sendall(HEALTH.replace(b"Connection: close\r\n", b""))
            first, _ = read_answer(s, 5)
            time.sleep(HEAD_TIMEOUT + 1)
            s.sendall(HEALTH)
            second, _ = read_answer(s, 5)
        if (first, second) != (200, 200):
            untouched.append(f"keep-alive: {first}, then {second} after a silence longer than the deadline")

    def slow_body() -> None:
        content = os.urandom(400)
        head, body = upload(content)
        with connect(port, "127.0.0.2") as s:
            s.sendall(head)
            pieces = [body[i : i + 100] for i in range(0, len(body), 100)]
            for piece in pieces:
                time.sleep((HEAD_TIMEOUT + 1) / len(pieces))
                s.sendall(piece)
            status, answer = read_answer(s, 10)
        if status != 200 or json.loads(body_of(answer)).get("bytes") != len(content):
            untouched.append(f"slow body: {status} {answer[:200]!r}")

    others = [threading.Thread(target=f) for f in (keep_alive, slow_body)]
    for t in others:
        t.start()
    watch(slows, time.monotonic() + HEAD_TIMEOUT + SLACK + 1)
    judge(tally, "quiet", slows, earliest=HEAD_TIMEOUT * 0.8)
    trickler.join()
    judge_trickler(tally, "quiet", trickled)
    for t in others:
        t.join()
    tally.check(not untouched, "quiet: a keep-alive silence and a slow body are not the head deadline's", "; ".join(untouched))


def flood_phase(tally: Tally, port: int, seconds: float) -> None:
    log(f"2. flood: {len(FLOOD_ADDRESSES)} addresses x {FLOOD_PER_ADDRESS} slow connections for {seconds:.0f} s")
    slows: list[Slow] = []
    failed_connects: list[str] = []
    stop_opening = time.monotonic() + seconds

    def flood() -> None:
        opened = 0
        while time.monotonic() < stop_opening:
            for address in FLOOD_ADDRESSES:
                open_here = sum(1 for s in slows if s.address == address and s.closed is None)
                for _ in range(min(FLOOD_PER_ADDRESS - open_here, 2)):
                    try:
                        slows.append(Slow.open(port, address, silent=opened % 10 == 0))
                    except OSError as error:
                        failed_connects.append(f"{address}: {error!r}")
                    opened += 1
            watch(slows, time.monotonic() + 0.05)
        watch(slows, stop_opening + HEAD_TIMEOUT + SLACK + 1)

    trickled: dict[str, object] = {}
    threads = [threading.Thread(target=flood), threading.Thread(target=trickle, args=(port, TRICKLER, trickled))]
    for t in threads:
        t.start()
    slowest, probes, failed_probes, problems = 0.0, 0, [], []
    next_normal = time.monotonic() + 1
    while time.monotonic() < stop_opening:
        status, took = health(port, PROBES[probes % 2])
        slowest = max(slowest, took)
        if status != 200 or took > HEALTH_LIMIT:
            failed_probes.append(f"from {PROBES[probes % 2]}: {status} after {took:.2f}s")
        probes += 1
        counts = established(port)
        if sum(counts.values()) > MAX_CONNECTIONS + 4 or max(counts.values(), default=0) > PER_ADDRESS + 2:
            problems.append(f"{sum(counts.values())} in all, {dict(counts)}")
        if time.monotonic() > next_normal:
            next_normal += 2
            if problem := upload_and_download(port, NORMAL):
                failed_probes.append(f"normal requests: {problem}")
        time.sleep(0.2)
    for t in threads:
        t.join()
    log(f"   {len(slows)} slow connections, {probes} /health probes, slowest {slowest:.2f}s")
    tally.check(not failed_probes, "flood: /health answers within 2 s throughout, and uploads work", "; ".join(failed_probes[:5]))
    tally.check(not problems, "flood: the server holds no more connections than the caps allow", "; ".join(problems[:5]))
    tally.check(not failed_connects, "flood: every connection is accepted", "; ".join(failed_connects[:5]))
    tally.check(len(slows) > len(FLOOD_ADDRESSES) * FLOOD_PER_ADDRESS, "flood: slow connections were closed and replaced", str(len(slows)))
    judge(tally, "flood", slows, earliest=0.0)
    judge_trickler(tally, "flood", trickled)


def busy_phase(tally: Tally, port: int) -> None:
    log(f"3. busy: {MAX_CONNECTIONS} uploads part-way through their bodies hold every slot")
    head, body = upload(b"x" * 100_000)
    busy: list[socket.socket] = []
    try:
        for i in range(MAX_CONNECTIONS):
            s = connect(port, BUSY_ADDRESSES[i % len(BUSY_ADDRESSES)])
            s.sendall(head + body[:1000])
            busy.append(s)
        time.sleep(0.5)
        status, took = health(port, PROBES[0])
        tally.check(status == 200 and took <= HEALTH_LIMIT, "busy: /health answers with every slot busy", f"{status} after {took:.2f}s")
        listing = b"GET /v1/files HTTP/1.1\r\nHost: mockfiles\r\nAuthorization: Bearer sk-test\r\n\r\n"
        _, answer = request(port, NORMAL, listing, limit=HEALTH_LIMIT + 3)
        problem = envelope_problem(answer, 503)
        tally.check(problem is None, "busy: another request over the caps gets 503 with the envelope", str(problem))
        cut = [s for s in busy if select.select([s], [], [], 0)[0]]
        tally.check(not cut, "busy: no request under way is closed to make room", f"{len(cut)} of {len(busy)} closed")
    finally:
        for s in busy:
            s.close()
    deadline, problem = time.monotonic() + 5, "not tried"
    while time.monotonic() < deadline and (problem := upload_and_download(port, NORMAL)):
        time.sleep(0.2)
    tally.check(problem is None, "busy: requests are served again once the uploads go", str(problem))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flood-seconds", type=float, default=8.0)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mockfiles-slow-clients-"))
    config = work / "config.json"
    config.write_text(json.dumps({"headTimeoutSeconds": HEAD_TIMEOUT, "maxConnections": MAX_CONNECTIONS, "maxConnectionsPerAddress": PER_ADDRESS}))
    server: Server = work_server(work, ["--config", str(config)])
    tally = Tally()
    server.spawn()
    began = time.monotonic()
    try:
        quiet_phase(tally, server.port)
        flood_phase(tally, server.port, args.flood_seconds)
        busy_phase(tally, server.port)
    finally:
        tally.check(server.running(), "the server stays up", server.output(2000))
        check_clean_stop(tally, server)
    log(f"done in {time.monotonic() - began:.1f}s")
    tally.finish(work, keep=args.keep)


if __name__ == "__main__":
    main()
