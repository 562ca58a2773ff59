#!/usr/bin/env python3
"""The mockfiles benchmark. Run it through `bench/run` (which builds the server and installs the
references); see bench/README.md for what each measurement is.

Standard library and mockfiles_kit's process harness only. Every figure, reference, ratio and target
goes to the JSON file; the markdown table goes to stdout. Exit status: 0 when every row could be
measured (targets missed or not), 1 when something broke (a server error, a non-2xx answer, wrong bytes,
a process that would not start).

The measurements run in five steps, each with the servers and data its measurements share; `--only`
names steps by the table rows they fill.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
import traceback
from pathlib import Path

import batch_scale
import download_large
import durable_small_uploads
import list_scaling
import list_throughput
import retrieve
import shared_storage
import startup
import trash
import upload_large
from machine import machine_info, versions
from nginx import Nginx
from procstats import wait_idle
from report import error_row, markdown_table, row_key, rounded
from session import BenchError, Session, log
from settings import (FILTER_PURPOSE, PAGE_LIMIT, ROOT, SEED_PURPOSES, SMALL_UPLOAD_CLIENTS, WRK_CONNECTIONS,
                      WRK_THREADS, MiB)


def get_throughput(session: Session) -> None:
    """One file and one list page under load, on one server with many files."""
    n = session.size["list_files"]
    srv = session.server(session.seed(n), f"list-{n}")
    srv.start()
    try:
        settle = wait_idle(srv.pid)
        retrieve.measure(session, srv, n)
        list_throughput.measure(session, srv, n, settle)
    finally:
        srv.stop()


def list_scaling_and_startup(session: Session) -> None:
    """Two seeded stores: start-up with the large one, then list pages on both."""
    small_n, large_n = session.size["flat_small"], session.size["flat_large"]
    stores = {n: session.seed(n) for n in (small_n, large_n)}
    startup.measure(session, stores[large_n], large_n)
    list_scaling.measure(session, stores, small_n, large_n)


def transfers(session: Session) -> None:
    """Large upload, large download of that file, small durable uploads, on one server."""
    size = session.size["big_bytes"]
    src, sha = upload_large.big_file(session)
    store = session.work / "store-uploads"
    shutil.rmtree(store, ignore_errors=True)
    srv = session.server(store, "uploads", ["--max-file-bytes", str(max(2 * size, 512 * MiB))])
    srv.start()
    try:
        wait_idle(srv.pid)
        file_id = upload_large.measure(session, srv, store, src, sha)
        download_large.measure(session, srv, store, file_id)
        durable_rate = durable_small_uploads.measure(session, srv, store)
    finally:
        srv.stop()
    durable_small_uploads.measure_ephemeral(session, durable_rate)


STEPS = [("1-2", "GET throughput", get_throughput), ("3+7", "list latency flatness / start-up", list_scaling_and_startup),
         ("4-6", "transfers", transfers), ("8-9", "PostgreSQL + S3, one and two instances", shared_storage.measure),
         ("10", "batch scale", batch_scale.measure)]


def run(session: Session) -> int:
    started = time.time()
    load_start = os.getloadavg()
    built = versions(session.binary)  # before the run: a rebuild during it would show in the mtime
    if load_start[0] > (os.cpu_count() or 1):
        log(f"warning: load average {load_start[0]:.1f} on {os.cpu_count()} CPUs: other work will skew the figures")
    work = session.work
    work.mkdir(parents=True, exist_ok=True)
    session.out.parent.mkdir(parents=True, exist_ok=True)
    session.logs.mkdir(parents=True, exist_ok=True)
    for old in session.logs.glob("server-*"):
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    # Data dirs of earlier runs (--keep, an interrupted run) go to the trash, which is emptied in the
    # background when this run ends, not now (a million blobs take many minutes to unlink).
    trash.discard(work, list(work.glob("store-*")), background=False)
    if trash.removal_running(work):
        log(f"warning: the data dirs of an earlier run are still being removed ({work / 'trash'}): that disk work "
            f"competes with this run")
    log(f"mode {session.mode}, binary {session.binary}, work dir {work}")
    try:
        session.nginx.start()
    except Exception as e:  # noqa: BLE001
        session.errors.append(f"nginx: {e}")
        log(f"ERROR nginx: {e}")
    for label, name, step in STEPS:
        if session.args.only and not any(part in label for part in session.args.only.split(",")):
            continue
        try:
            step(session)
        except Exception as e:  # noqa: BLE001
            msg = f"rows {label} ({name}): {e}"
            session.errors.append(msg)
            log("ERROR " + msg)
            if not isinstance(e, BenchError):
                traceback.print_exc()
            session.rows.append(error_row(label, name, e))
            for s in session.servers:
                try:
                    s.stop()
                except BenchError as stop_error:
                    session.errors.append(str(stop_error))
    session.nginx.stop()
    mtimes = session.binary_mtimes()
    if len(mtimes) > 1:
        stamps = ", ".join(time.strftime("%H:%M:%S", time.localtime(t)) for t in sorted(mtimes))
        session.notes.append(f"the mockfiles binary changed during the run (builds of {stamps}): rows measured different builds")
    for s in session.servers:
        problems = s.log_problems()
        if problems:
            session.details.setdefault("server_log_problems", {})[s.name] = problems
    if not session.args.keep:
        trash.discard(work, [*session.stores.values(), work / "store-uploads", work / "store-empty",
                             *work.glob("store-shared-*"), work / "store-batches"])
    write(session, started, load_start, built)
    return 1 if session.errors else 0


def write(session: Session, started: float, load_start: tuple[float, float, float], built: dict) -> None:
    rows = sorted(session.rows, key=row_key)
    rounded(rows)
    doc = dict(
        mode=session.mode, started_at=time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        duration_s=round(time.time() - started, 1), machine=machine_info(session.work), versions=built,
        load_average=dict(start=[round(x, 2) for x in load_start], end=[round(x, 2) for x in os.getloadavg()]),
        sizes=session.size, settings=dict(wrk_connections=WRK_CONNECTIONS, wrk_threads=WRK_THREADS,
                                          small_upload_clients=SMALL_UPLOAD_CLIENTS, seed_purposes=SEED_PURPOSES,
                                          filter_purpose=FILTER_PURPOSE, page_limit=PAGE_LIMIT),
        rows=rows, errors=session.errors, notes=session.notes, **session.details)
    session.out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    print(markdown_table(rows))
    print()
    print(f"mode: {session.mode}; {doc['machine']['cpu_model']}, {doc['machine']['nproc']} CPUs, "
          f"{doc['machine']['mem_total_gib']} GiB RAM, kernel {doc['machine']['kernel']}; {doc['duration_s']} s; "
          f"load average {doc['load_average']['start'][0]} at start, {doc['load_average']['end'][0]} at end")
    print(f"JSON: {session.out}")
    if session.notes:
        print("\nnotes:")
        for n in session.notes:
            print(f"- {n}")
    if session.errors:
        print("\nERRORS:")
        for e in session.errors:
            print(f"- {e}")
    for name, lines in session.details.get("server_log_problems", {}).items():
        print(f"\nserver log ({name}) problems:")
        for l in lines[:10]:
            print(f"  {l}")


def main() -> int:
    p = argparse.ArgumentParser(description="mockfiles benchmark (use bench/run)")
    p.add_argument("--bin", required=True, help="the mockfiles binary")
    p.add_argument("--quick", action="store_true", help="small sizes, about a minute")
    p.add_argument("--out", default=str(ROOT / "bench/out/results.json"), help="JSON results file")
    p.add_argument("--work-dir", default=str(ROOT / "bench/out/work"), help="data dirs, nginx, the upload file")
    p.add_argument("--keep", action="store_true", help="keep the seeded data dirs")
    p.add_argument("--only", help="comma-separated steps: 1-2, 3+7, 4-6, 8-9, 10")
    p.add_argument("--ceiling-hummingbird-bin", help="bare Hummingbird answering fixed bytes (bench/ceiling): row 1 hb")
    p.add_argument("--ceiling-nio-bin", help="bare SwiftNIO answering fixed bytes (bench/ceiling): row 1 nio")
    p.add_argument("--ceiling-postgres-bin", help="bare SwiftNIO reading each answer from PostgreSQL (bench/ceiling): rows 8 pg")
    args = p.parse_args()
    if not os.access(args.bin, os.X_OK):
        print(f"error: {args.bin} is not an executable", file=sys.stderr)
        return 2
    return run(Session(args, Nginx(Path(args.work_dir).resolve())))


if __name__ == "__main__":
    sys.exit(main())
