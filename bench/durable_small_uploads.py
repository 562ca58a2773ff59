"""Small durable uploads: 1 KiB files from 16 keep-alive clients at once (wrk with a Lua body), each
answered 200 only after fsync, rename, directory fsync and the database commit. The reference is the
same durable steps done by 16 threads without a server, on the same disk. Reported, not targeted.

Row 6e: the same load on `serve --ephemeral`, which syncs nothing; its reference is row 6's durable
server in the same run, and the target is at least 2.5 times its rate."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from client import count_files, get, get_json
from procstats import CPUByProgram, RSSMonitor
from report import row
from session import BenchError, BenchServer, Session, log
from settings import SMALL_UPLOAD_BYTES, SMALL_UPLOAD_CLIENTS
from wrk import strip_raw, wrk_checked

ROW = "6"
EPHEMERAL_ROW = "6e"
EPHEMERAL_TARGET = 2.5


def upload_load(session: Session, srv: BenchServer, others: CPUByProgram | None = None) -> tuple[dict, int, dict]:
    """wrk's small uploads against `srv`, checked: every answer a listed file, the newest one's bytes intact.
    Returns wrk's result, the files made and the server's RSS summary. `others`: as `wrk_checked`'s."""
    secs = session.size["small_upload_seconds"]
    before = count_files(srv.base)
    script = session.work / "small-upload.lua"
    script.write_text(SMALL_UPLOAD_LUA.replace("@BYTES@", str(SMALL_UPLOAD_BYTES)))
    rss = RSSMonitor(srv.pid)
    with rss:
        r = wrk_checked("mockfiles", srv.base + "/v1/files", secs, 0, pid=srv.pid, connections=SMALL_UPLOAD_CLIENTS, script=script, others=others)
    made = count_files(srv.base) - before
    # wrk counts answers it read; requests cut off by the end of the run may still have landed.
    if made < r["requests"]:
        raise BenchError(f"small uploads: wrk got {r['requests']} answers (all 2xx) but only {made} files are listed")
    page, _ = get_json(srv.base, "/v1/files?limit=1")
    newest = page["data"][0]
    status, body, _ = get(srv.base, f"/v1/files/{newest['id']}/content")
    if status != 200 or body != b"x" * SMALL_UPLOAD_BYTES:
        raise BenchError(f"GET /v1/files/{newest['id']}/content of a small upload: status {status}, {len(body)} B, bytes differ")
    return r, made, rss.summary()


def measure(session: Session, srv: BenchServer, store: Path) -> float:
    """Row 6; returns the durable server's uploads/s (row 6e's reference)."""
    secs = session.size["small_upload_seconds"]
    log(f"row {ROW}: 1 KiB multipart uploads, {SMALL_UPLOAD_CLIENTS} keep-alive connections (wrk + Lua), {secs} s")
    r, made, rss = upload_load(session, srv)
    ref = durable_small_writes(store / "fsync-ref", SMALL_UPLOAD_CLIENTS, SMALL_UPLOAD_BYTES, min(secs, 5))
    log(f"  reference: {ref['writes_per_s']:.0f} durable 1 KiB file writes/s ({SMALL_UPLOAD_CLIENTS} threads)")
    session.rows.append(row(
        ROW, f"small uploads: 1 KiB files, {SMALL_UPLOAD_CLIENTS} concurrent clients (each 200 fsynced)", "uploads/s",
        r["requests_per_s"], ref["writes_per_s"],
        f"{SMALL_UPLOAD_CLIENTS} threads: write 1 KiB, fsync, rename, fsync dir; same disk",
        details=dict(wrk=strip_raw(r), files_listed_after=made, server_rss=rss, reference=ref)))
    return r["requests_per_s"]


def measure_ephemeral(session: Session, durable_rate: float) -> None:
    """Row 6e: the same load on `serve --ephemeral` (no fsyncs), against row 6's durable rate."""
    log(f"row {EPHEMERAL_ROW}: the same small uploads on serve --ephemeral")
    srv = session.server(None, "ephemeral")
    srv.start()
    try:
        r, made, rss = upload_load(session, srv)
    finally:
        srv.stop()
    session.rows.append(row(
        EPHEMERAL_ROW, f"small uploads on --ephemeral (nothing synced), {SMALL_UPLOAD_CLIENTS} concurrent clients", "uploads/s",
        r["requests_per_s"], durable_rate, "row 6: the durable default, same run", ">=", EPHEMERAL_TARGET,
        f"≥ {EPHEMERAL_TARGET}× durable", details=dict(wrk=strip_raw(r), files_listed_after=made, server_rss=rss)))


SMALL_UPLOAD_LUA = r"""-- wrk: every request uploads a new 1 KiB file (multipart, purpose=vision: its content downloads by default)
local boundary = "mockfilesbenchboundary"
wrk.method = "POST"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
wrk.body = "--" .. boundary .. "\r\n" ..
  "Content-Disposition: form-data; name=\"purpose\"\r\n\r\nvision\r\n" ..
  "--" .. boundary .. "\r\n" ..
  "Content-Disposition: form-data; name=\"file\"; filename=\"small.txt\"\r\n" ..
  "Content-Type: text/plain\r\n\r\n" .. string.rep("x", @BYTES@) .. "\r\n" ..
  "--" .. boundary .. "--\r\n"
"""


def durable_small_writes(directory: Path, threads: int, size: int, seconds: float) -> dict:
    """What the disk gives without a server: write a small file, fsync it, rename it, fsync the dir."""
    directory.mkdir(parents=True, exist_ok=True)
    payload = b"x" * size
    counts = [0] * threads
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        dfd = os.open(directory, os.O_RDONLY)
        try:
            n = 0
            while time.monotonic() < stop:
                tmp, final = directory / f"t{i}-{n}.tmp", directory / f"f{i}-{n}"
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.write(fd, payload)
                os.fsync(fd)
                os.close(fd)
                os.rename(tmp, final)
                os.fsync(dfd)
                n += 1
            counts[i] = n
        finally:
            os.close(dfd)

    t0 = time.monotonic()
    ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    elapsed = time.monotonic() - t0
    return dict(writes=sum(counts), seconds=round(elapsed, 2), writes_per_s=round(sum(counts) / elapsed, 1))
