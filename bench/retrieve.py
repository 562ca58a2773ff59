"""GET /v1/files/{id} under load (32 keep-alive connections) against nginx serving the same bytes.

Diagnostics beside the figure: /health through the same server (the HTTP stack and middleware without
the database), one connection (latency without contention), and with `--ceiling-bin` bare Hummingbird
(bench/ceiling: one route, fixed bytes), what the HTTP framework itself reaches on this machine.
"""

from __future__ import annotations

import subprocess
import time

from mockfiles_kit import free_port, health_status

from client import check_unchanged, get, get_json
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
    health = wrk_checked("mockfiles /health (diagnostic)", srv.base + "/health", secs, warm, pid=srv.pid)
    single = wrk_checked("mockfiles, 1 connection (diagnostic)", srv.base + path, secs, warm,
                         pid=srv.pid, connections=1, threads=1)
    ceiling = bare_hummingbird(session, body, secs, warm, ref["requests_per_s"])
    session.rows.append(row(
        ROW, "GET /v1/files/{id}, keep-alive, 32 connections", "req/s", mine["requests_per_s"],
        ref["requests_per_s"], "nginx, same bytes as a static file", ">=", 0.40, "≥ 0.40 × nginx",
        details=dict(body_bytes=len(body), mockfiles=strip_raw(mine), nginx=strip_raw(ref),
                     diagnostic_health_32_connections=strip_raw(health), diagnostic_one_connection=strip_raw(single),
                     diagnostic_bare_hummingbird=ceiling, server_rss=rss.summary(), files_stored=files_stored)))
    check_unchanged(srv.base, path, body)


def bare_hummingbird(session: Session, body: bytes, secs: float, warm: float, nginx_rps: float) -> dict | None:
    """With --ceiling-bin: Hummingbird alone (bench/ceiling) under the same load, so the figure can be
    read against what the HTTP framework itself reaches on this machine."""
    if not session.ceiling_bin:
        return None
    body_path = session.work / "ceiling-body.json"
    body_path.write_bytes(body)
    port = free_port()
    proc = subprocess.Popen([session.ceiling_bin, str(port), str(body_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while health_status(port) != 200:  # it answers every GET, /health too
            if proc.poll() is not None or time.monotonic() > deadline:
                raise BenchError("bench/ceiling did not start answering within 10 s")
            time.sleep(0.05)
        if get(base, "/v1/files/x")[1] != body:
            raise BenchError("bench/ceiling does not serve the file object's bytes")
        r = wrk_checked("bare Hummingbird route (diagnostic)", base + "/v1/files/x", secs, warm, pid=proc.pid)
        return dict(strip_raw(r), ratio_to_nginx=round(r["requests_per_s"] / nginx_rps, 3))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
