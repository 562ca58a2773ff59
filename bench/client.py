"""HTTP calls the measurements make around their loads: the standard library's http.client, so a check
costs the same under every figure and needs no package."""

from __future__ import annotations

import concurrent.futures
import http.client
import json
import os
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

from session import BenchError
from settings import AUTH


def connection(base: str, timeout: float = 120) -> http.client.HTTPConnection:
    u = urllib.parse.urlparse(base)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)


def get(base: str, path: str, auth: bool = True, conn: http.client.HTTPConnection | None = None):
    """(status, body, headers) of a GET, on `conn` (kept open) or a connection of its own."""
    return request(base, "GET", path, auth=auth, conn=conn)


def request(base: str, method: str, path: str, auth: bool = True, conn: http.client.HTTPConnection | None = None):
    headers = {"Authorization": AUTH} if auth else {}
    own = conn is None
    if own:
        conn = connection(base)
    try:
        conn.request(method, path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, body, dict(resp.getheaders())
    finally:
        if own:
            conn.close()


def get_json(base: str, path: str, conn=None):
    status, body, _ = get(base, path, conn=conn)
    if status != 200:
        raise BenchError(f"GET {path}: expected 200, got {status}: {body[:300]!r}")
    return json.loads(body), body


def check_unchanged(base: str, path: str, body: bytes) -> None:
    """After a load: GET `path` still answers 200 with exactly `body`."""
    status, again, _ = get(base, path)
    if status != 200 or again != body:
        raise BenchError(f"GET {path} after the load: status {status}, bytes differ: {again != body}")


def list_pages(base: str, **query) -> Iterator[list[dict]]:
    """Every page of GET /v1/files with `query`, limit=10000, following `after`."""
    after = None
    conn = connection(base, timeout=300)
    try:
        while True:
            q = dict(limit=10000, **{k: v for k, v in query.items() if v})
            if after:
                q["after"] = after
            page, _ = get_json(base, "/v1/files?" + urllib.parse.urlencode(q), conn)
            yield page["data"]
            if not page.get("has_more") or not page["data"]:
                return
            after = page["data"][-1]["id"]
    finally:
        conn.close()


def list_walk_position(base: str, position: int, purpose: str | None) -> dict:
    """The file at `position` (0-based) of the ascending list."""
    seen = 0
    for data in list_pages(base, order="asc", purpose=purpose):
        if seen + len(data) > position:
            return data[position - seen]
        seen += len(data)
    raise BenchError(f"list walk ended at {seen} files, before position {position} (purpose={purpose})")


def count_files(base: str) -> int:
    return sum(len(data) for data in list_pages(base))


def populate(base: str, count: int, clients: int = 16) -> None:
    """`count` small files made through POST /v1/files by `clients` connections at once, as a test
    suite fills a server (the shared mode has no `mockfiles seed`: its rows go through the API)."""
    boundary = "populate" + os.urandom(8).hex()

    def upload(conn: http.client.HTTPConnection, i: int) -> None:
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nuser_data\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f{i}.txt\"\r\n"
                f"Content-Type: text/plain\r\n\r\n{i:064d}\r\n--{boundary}--\r\n").encode()
        conn.request("POST", "/v1/files", body=body, headers={
            "Authorization": AUTH, "Content-Type": f"multipart/form-data; boundary={boundary}"})
        resp = conn.getresponse()
        answer = resp.read()
        if resp.status != 200:
            raise BenchError(f"POST /v1/files (file {i}): expected 200, got {resp.status}: {answer[:300]!r}")

    def worker(start: int) -> None:
        conn = connection(base)
        try:
            for i in range(start, count, clients):
                upload(conn, i)
        finally:
            conn.close()

    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        for done in [pool.submit(worker, k) for k in range(clients)]:
            done.result()


def sendfile_multipart(base: str, path: Path, size: int, purpose: str = "vision",
                       filename: str = "big.bin") -> tuple[int, float, bytes]:
    """Uploads `path` as the `file` part of POST /v1/files (purpose vision by default, whose content downloads), the file's
    bytes sent with sendfile(2) from the page cache. Returns status, seconds to the whole answer, body."""
    boundary = "bench" + os.urandom(12).hex()
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n{purpose}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    conn = connection(base, timeout=600)
    try:
        started = time.perf_counter()
        conn.putrequest("POST", "/v1/files")
        conn.putheader("Authorization", AUTH)
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(len(head) + size + len(tail)))
        conn.endheaders(head)
        with open(path, "rb") as f:
            sent = conn.sock.sendfile(f)
        if sent != size:
            raise BenchError(f"sendfile sent {sent} of {size} B")
        conn.sock.sendall(tail)
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, time.perf_counter() - started, body
    finally:
        conn.close()
