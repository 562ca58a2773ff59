"""GET /v1/files/{id} under load (32 keep-alive connections) against nginx serving the same bytes: one id
(row 1, the recent-rows map answers it), ids at random from every stored file (1 random), and /health
(1 health: the request path without a key or the database), each with the server's CPU per request.

References beside them (bench/ceiling, when built): bare Hummingbird (1 hb: one route, fixed bytes) and
bare SwiftNIO (1 nio: NIO's HTTP/1 pipeline and one handler), what the framework and what NIO itself
reach on this machine with the same bytes. Diagnostic: one connection (latency without contention).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from mockfiles_kit import free_port

from client import check_unchanged, get, get_json, list_pages
from report import row
from session import BenchError, BenchServer, Session, log
from settings import WRK_CONNECTIONS, WRK_THREADS
from wrk import against_nginx, strip_raw, wrk_checked

ROW = "1"


def measure(session: Session, srv: BenchServer, files_stored: int) -> None:
    page, _ = get_json(srv.base, "/v1/files?limit=1")
    file_id = page["data"][0]["id"]
    path = f"/v1/files/{file_id}"
    obj, body = get_json(srv.base, path)
    if obj.get("id") != file_id:
        raise BenchError(f"GET {path}: answered id {obj.get('id')}")
    secs, warm = session.size["wrk_seconds"], session.size["wrk_warmup_seconds"]
    log(f"row {ROW}: GET /v1/files/{{id}} ({len(body)} B), wrk -c{WRK_CONNECTIONS} -t{WRK_THREADS} {secs}s")
    mine, ref, rss = against_nginx(session, srv, path, body, "file.json")
    nginx_rps = ref["requests_per_s"]
    script = random_ids_script(session, srv)
    scattered = wrk_checked("mockfiles, ids at random", srv.base + "/v1/files/", secs, warm, pid=srv.pid, script=script)
    health = wrk_checked("mockfiles /health", srv.base + "/health", secs, warm, pid=srv.pid)
    single = wrk_checked("mockfiles, 1 connection (diagnostic)", srv.base + path, secs, warm,
                         pid=srv.pid, connections=1, threads=1)
    for name, label in (("hummingbird", "hb"), ("nio", "nio")):
        if name in session.ceilings:
            r = ceiling(session, name, body, secs, warm)
            session.rows.append(row(
                f"{ROW} {label}", f"reference: bare {'Hummingbird' if name == 'hummingbird' else 'SwiftNIO'} answering row 1's "
                f"bytes, 32 connections; {cpu_text(r)}", "req/s",
                r["requests_per_s"], nginx_rps, "nginx, row 1's figure", details=dict(ceiling=strip_raw(r))))
    session.rows.append(row(
        ROW, f"GET /v1/files/{{id}}, one id (served from recent rows), 32 connections; {cpu_text(mine)}", "req/s",
        mine["requests_per_s"], nginx_rps, "nginx, same bytes as a static file", ">=", 0.60, "≥ 0.60 × nginx",
        details=dict(body_bytes=len(body), mockfiles=strip_raw(mine), nginx=strip_raw(ref),
                     diagnostic_one_connection=strip_raw(single),
                     server_rss=rss.summary(), files_stored=files_stored)))
    session.rows.append(row(
        f"{ROW} random", f"GET /v1/files/{{id}}, ids at random from {files_stored:,}; {cpu_text(scattered)}", "req/s",
        scattered["requests_per_s"], nginx_rps, "nginx, row 1's figure", ">=", 0.40, "≥ 0.40 × nginx",
        details=dict(mockfiles=strip_raw(scattered), files_stored=files_stored)))
    session.rows.append(row(
        f"{ROW} health", f"GET /health (no key, no database; the request path alone); {cpu_text(health)}", "req/s",
        health["requests_per_s"], nginx_rps, "nginx, row 1's figure", details=dict(mockfiles=strip_raw(health))))
    check_unchanged(srv.base, path, body)


def cpu_text(result: dict) -> str:
    return f"server CPU {result.get('server_cpu_us_per_request')} µs/request"


def random_ids_script(session: Session, srv: BenchServer) -> Path:
    """A wrk script asking for stored files' ids at random (each wrk thread its own sequence), so the
    recent-rows map cannot answer most of them."""
    ids = [f["id"] for data in list_pages(srv.base) for f in data]
    if not ids:
        raise BenchError("no files to ask for at random")
    listed = session.work / "random-ids.txt"
    listed.write_text("\n".join(ids) + "\n")
    script = session.work / "random-ids.lua"
    script.write_text(
        "local ids = {}\n"
        f"for line in io.lines({json.dumps(str(listed))}) do ids[#ids + 1] = line end\n"
        "local threads = 0\n"
        "function setup(thread) threads = threads + 1; thread:set(\"seed\", threads) end\n"
        "function init(args) math.randomseed(os.time() * 100 + seed) end\n"
        "request = function() return wrk.format(\"GET\", \"/v1/files/\" .. ids[math.random(#ids)]) end\n"
    )
    return script


def ceiling(session: Session, name: str, body: bytes, secs: float, warm: float) -> dict:
    """A bench/ceiling server (`name`: hummingbird or nio) answering `body` under row 1's load."""
    body_path = session.work / "ceiling-body.json"
    body_path.write_bytes(body)
    with running_ceiling(session, name, [str(body_path)], lambda base: get(base, "/v1/files/x")[1] == body) as (base, pid):
        return wrk_checked(f"bare {name}", base + "/v1/files/x", secs, warm, pid=pid)


@contextlib.contextmanager
def running_ceiling(session: Session, name: str, args: list[str], ready: Callable[[str], bool]) -> Iterator[tuple[str, int]]:
    """A bench/ceiling server (`ceiling-NAME PORT ARGS...`) on a free port: (its base URL, its pid) once
    `ready(base)` holds (it answers with the bytes it must), stopped after."""
    port = free_port()
    proc = subprocess.Popen([session.ceilings[name], str(port), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while not answers(ready, base):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"bench/ceiling ({name}) did not answer with the bytes it must within 10 s")
            time.sleep(0.05)
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def answers(ready: Callable[[str], bool], base: str) -> bool:
    try:
        return ready(base)
    except OSError:  # not listening yet
        return False
