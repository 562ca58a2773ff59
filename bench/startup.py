"""Start-up: process start to the first GET /health 200 with many files stored, against an empty data dir.

Readiness must not wait for start-up recovery (it walks every blob beside the server), so the figure
should not grow with the store. Each run is stopped with SIGTERM right after; a slow stop is noted.
"""

from __future__ import annotations

import shutil
import statistics
from pathlib import Path

from procstats import read_status_kib
from report import row
from session import Session, log

ROW = "7"
TARGET_MS = 200


def measure(session: Session, store: Path, files_stored: int) -> None:
    runs = session.size["startup_runs"]
    log(f"row {ROW}: start-up to /health 200 with {files_stored} files, {runs} runs (+ an empty store)")
    srv = session.server(store, f"startup-{files_stored}")
    times, stops = [], []
    for _ in range(runs):
        times.append(srv.start())
        rss = read_status_kib(srv.pid, "VmRSS")
        stops.append(srv.stop())
    empty_dir = session.work / "store-empty"
    shutil.rmtree(empty_dir, ignore_errors=True)
    empty = session.server(empty_dir, "empty")
    empty_times = []
    for _ in range(runs):
        empty_times.append(empty.start())
        empty.stop()
    if max(stops) > 5:
        session.notes.append(f"row {ROW}: with {files_stored:,} files, SIGTERM right after start-up took up to {max(stops):.1f} s "
                             f"to stop the server (runs: {', '.join(f'{x:.1f}' for x in stops)} s)")
    mine, ref = statistics.median(times) * 1000, statistics.median(empty_times) * 1000
    log(f"  {files_stored} files: {', '.join(f'{t * 1000:.0f}' for t in times)} ms; "
        f"empty store: {', '.join(f'{t * 1000:.0f}' for t in empty_times)} ms")
    session.rows.append(row(ROW, f"start-up: process start to /health 200, {files_stored:,} files stored (median of {len(times)})", "ms",
               mine, ref, "same, empty data dir", "<=", TARGET_MS, f"≤ {TARGET_MS} ms", against="value",
               details=dict(runs_ms=[round(t * 1000, 1) for t in times], empty_runs_ms=[round(t * 1000, 1) for t in empty_times],
                            max_ms=round(max(times) * 1000, 1), stop_after_sigterm_s=[round(s, 3) for s in stops],
                            rss_at_ready_mib=round(rss / 1024, 1))))
