"""GET /v1/files?limit=20 under load, with many files stored, against nginx serving the same page's bytes
(row 2, with the server's CPU per request), and the default page (no `limit`: 10,000 files, about 2 MB)
plain and gzipped as the SDKs ask for it (2 page)."""

from __future__ import annotations

import gzip
import statistics
import time

from client import check_unchanged, connection, get_json
from report import row
from session import BenchError, BenchServer, Session, log
from settings import AUTH
from wrk import against_nginx, strip_raw

ROW = "2"
PATH = "/v1/files?limit=20"


def measure(session: Session, srv: BenchServer, files_stored: int, settle_seconds: float) -> None:
    page, body = get_json(srv.base, PATH)
    if len(page["data"]) != 20:
        raise BenchError(f"GET {PATH} on {files_stored} seeded files: expected 20 items, got {len(page['data'])}")
    log(f"row {ROW}: GET {PATH} with {files_stored} files ({len(body)} B)")
    mine, ref, rss = against_nginx(session, srv, PATH, body, "list.json")
    session.rows.append(row(
        ROW, f"GET {PATH}, {files_stored:,} files stored; server CPU {mine.get('server_cpu_us_per_request')} µs/request",
        "req/s", mine["requests_per_s"], ref["requests_per_s"], "nginx, same bytes as a static file", ">=", 0.35,
        "≥ 0.35 × nginx",
        details=dict(body_bytes=len(body), mockfiles=strip_raw(mine), nginx=strip_raw(ref),
                     server_rss=rss.summary(), files_stored=files_stored, settle_seconds=round(settle_seconds, 2))))
    check_unchanged(srv.base, PATH, body)
    default_page(session, srv, files_stored)


def default_page(session: Session, srv: BenchServer, files_stored: int) -> None:
    """Row "2 page": GET /v1/files with no limit, gzipped (Accept-Encoding: gzip, as the SDKs send) against
    plain, interleaved on one keep-alive connection each; the gzipped bytes are checked to inflate to
    the plain ones."""
    kinds = {"gzip": {"Authorization": AUTH, "Accept-Encoding": "gzip"}, "plain": {"Authorization": AUTH}}
    conns = {k: connection(srv.base, timeout=120) for k in kinds}
    times: dict[str, list[float]] = {k: [] for k in kinds}
    bodies: dict[str, bytes] = {}
    rounds = 5 if session.mode == "quick" else 20
    try:
        for round_ in range(2 + rounds):
            for kind, headers in kinds.items():
                t0 = time.perf_counter()
                conns[kind].request("GET", "/v1/files", headers=headers)
                answer = conns[kind].getresponse()
                bodies[kind] = answer.read()
                dt = time.perf_counter() - t0
                if answer.status != 200:
                    raise BenchError(f"GET /v1/files ({kind}): {answer.status}: {bodies[kind][:300]!r}")
                if kind == "gzip" and answer.getheader("Content-Encoding") != "gzip":
                    raise BenchError("GET /v1/files with Accept-Encoding: gzip came back without gzip")
                if round_ >= 2:
                    times[kind].append(dt)
    finally:
        for c in conns.values():
            c.close()
    if gzip.decompress(bodies["gzip"]) != bodies["plain"]:
        raise BenchError("the gzipped default page does not inflate to the plain one")
    zipped, plain = (round(statistics.median(times[k]) * 1000, 2) for k in ("gzip", "plain"))
    log(f"row {ROW} page: plain {plain} ms ({len(bodies['plain']):,} B), gzip {zipped} ms ({len(bodies['gzip']):,} B)")
    session.rows.append(row(
        f"{ROW} page", f"GET /v1/files, default page ({len(bodies['plain']):,} B; gzipped {len(bodies['gzip']):,} B), "
        f"{files_stored:,} files stored, gzipped, median of {rounds}", "ms", zipped, plain,
        "the same page plain, interleaved", "<=", 1.25, "gzip ≤ 1.25 × plain",
        details=dict(gzip_ms=times["gzip"], plain_ms=times["plain"], plain_bytes=len(bodies["plain"]),
                     gzip_bytes=len(bodies["gzip"]))))
