"""GET /v1/files?limit=20 under load, with many files stored, against nginx serving the same page's bytes."""

from __future__ import annotations

from client import check_unchanged, get_json
from report import row
from session import BenchError, BenchServer, Session, log
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
        ROW, f"GET {PATH}, {files_stored:,} files stored", "req/s", mine["requests_per_s"],
        ref["requests_per_s"], "nginx, same bytes as a static file", ">=", 0.25, "≥ 0.25 × nginx",
        details=dict(body_bytes=len(body), mockfiles=strip_raw(mine), nginx=strip_raw(ref),
                     server_rss=rss.summary(), files_stored=files_stored, settle_seconds=round(settle_seconds, 2))))
    check_unchanged(srv.base, PATH, body)
