"""The shared mode against the embedded default, in one run: the same API calls on an instance that keeps
metadata in PostgreSQL and bytes in S3 (SeaweedFS here) and on one with SQLite and a data directory,
each holding the same files made through the API (row 8), then one instance against two on the same
PostgreSQL + S3 behind one nginx proxy (row 9).

The backends are the throwaway ones bench/run starts (scripts/lib): MOCKFILES_TEST_DATABASE_URL names a
PostgreSQL server where this run makes a database of its own, MOCKFILES_TEST_S3_ENDPOINT and
MOCKFILES_TEST_S3_BUCKET an S3 bucket, AWS_* its credentials. On this machine the database, the object
store, the load generator and the servers share two CPUs, so the ratios say what the shared mode costs
here, not what a cluster of machines reaches.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

from client import check_unchanged, get, get_json, populate, request
from download_large import curl_download
from durable_small_uploads import upload_load
from procstats import CPUByProgram, RSSMonitor, wait_idle
from report import row, size_label
from retrieve import running_ceiling
from session import BenchError, BenchServer, Session, log
from settings import SMALL_UPLOAD_CLIENTS, MiB
from upload_large import big_file, multipart_upload, verify_download
from wrk import strip_raw, wrk_checked

ROW_BACKENDS = "8"
ROW_INSTANCES = "9"
LIST_PATH = "/v1/files?limit=20"
# The programs that share the CPUs with a shared instance under load (`comm` names).
OTHER_PROGRAMS = ("postgres", "weed")  # and wrk, which `wrk_checked` counts
INSTANCE_PROGRAMS = ("mockfiles", *OTHER_PROGRAMS, "nginx")
# Issue 35's targets: the shared mode's ratio to the embedded default on the same machine.
READ_TARGETS = {"GET /v1/files/{id}": 0.30, f"GET {LIST_PATH}": 0.40}
SMALL_UPLOAD_TARGET = 0.30


def measure(session: Session) -> None:
    shared_args, database_url = backend_args(session)
    size = session.size["big_bytes"]
    limit = ["--max-file-bytes", str(max(2 * size, 512 * MiB))]
    files = session.size["shared_files"]
    embedded = session.server(session.work / "store-shared-embedded", "embedded-for-shared", limit)
    first = session.server(session.work / "store-shared-a", "shared-a", [*shared_args, *limit])
    second = session.server(session.work / "store-shared-b", "shared-b", [*shared_args, *limit])
    try:
        for srv in (embedded, first):
            srv.start()
            log(f"row {ROW_BACKENDS}: {files} files through the API into {srv.name}")
            populate(srv.base, files)
            wait_idle(srv.pid)
        reads(session, first, embedded, files, database_url)
        small_uploads(session, first, embedded)
        transfers(session, first, embedded, size)
        second.start()
        wait_idle(second.pid)
        instances(session, [first, second], files)
    finally:
        for srv in (embedded, first, second):
            srv.stop()


def backend_args(session: Session) -> tuple[list[str], str]:
    """A new database on the test PostgreSQL and a new prefix in the test bucket, for this run: the
    `serve` flags naming them, and the database's URL (for bench/ceiling's ceiling-postgres)."""
    admin_url = os.environ.get("MOCKFILES_TEST_DATABASE_URL")
    endpoint = os.environ.get("MOCKFILES_TEST_S3_ENDPOINT")
    if not admin_url or not endpoint:
        raise BenchError("rows 8-9 need MOCKFILES_TEST_DATABASE_URL and MOCKFILES_TEST_S3_ENDPOINT (bench/run starts both)")
    name = f"mockfiles_bench_{uuid.uuid4().hex[:10]}"
    made = subprocess.run(["psql", admin_url, "-qc", f"CREATE DATABASE {name}"], capture_output=True, text=True, timeout=60)
    if made.returncode != 0:
        raise BenchError(f"CREATE DATABASE {name}: {made.stderr.strip()}")
    database = urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    bucket = os.environ.get("MOCKFILES_TEST_S3_BUCKET", "mockfiles-test")
    session.details["shared_storage"] = dict(database=name, blob_url=f"s3://{bucket}/{name}", s3_endpoint=endpoint)
    return ["--database-url", database, "--blob-url", f"s3://{bucket}/{name}", "--s3-endpoint", endpoint], database


def reads(session: Session, shared: BenchServer, embedded: BenchServer, files: int, database_url: str) -> None:
    """GET of one file and of a list page: PostgreSQL + S3 against the embedded default, and the
    floor under them (row 8 pg, when bench/ceiling's ceiling-postgres is built)."""
    secs, warm = session.size["wrk_seconds"], session.size["wrk_warmup_seconds"]
    with postgres_floor(session, shared, database_url) as floor:
        for what, path_of in (("GET /v1/files/{id}", first_file_path), (f"GET {LIST_PATH}", lambda _: LIST_PATH)):
            figures = {}
            for srv in (shared, embedded):
                path = path_of(srv)
                _, body = get_json(srv.base, path)
                rss = RSSMonitor(srv.pid)
                with rss:
                    figures[srv.name] = wrk_checked(f"{srv.name} {what}", srv.base + path, secs, warm, pid=srv.pid,
                                                    others=CPUByProgram(OTHER_PROGRAMS))
                figures[srv.name]["server_rss"] = rss.summary()
                check_unchanged(srv.base, path, body)
            mine, ref = figures[shared.name], figures[embedded.name]
            target = READ_TARGETS[what]
            session.rows.append(row(
                ROW_BACKENDS, f"{what}, PostgreSQL + S3, {files:,} files stored", "req/s", mine["requests_per_s"],
                ref["requests_per_s"], "the embedded default (SQLite + data dir), same files", ">=", target, f"≥ {target:.2f} ×",
                details=dict(shared=strip_raw(mine), embedded=strip_raw(ref), files_stored=files)))
            if floor is None:
                continue
            base, pid = floor
            r = wrk_checked(f"bare SwiftNIO + PostgreSQL {what}", base + path_of(shared), secs, warm, pid=pid,
                            others=CPUByProgram(OTHER_PROGRAMS))
            session.rows.append(row(
                f"{ROW_BACKENDS} pg", f"reference: {what} from bare SwiftNIO, one PostgreSQL statement a request on its event "
                f"loop's own connection, no request log (bench/ceiling); server CPU {r.get('server_cpu_us_per_request')} µs/request",
                "req/s", r["requests_per_s"], ref["requests_per_s"], "the embedded default, same run",
                details=dict(ceiling=strip_raw(r), mockfiles_shared_cpu_us=mine.get("server_cpu_us_per_request"))))


@contextlib.contextmanager
def postgres_floor(session: Session, shared: BenchServer, database_url: str) -> Iterator[tuple[str, int] | None]:
    """bench/ceiling's ceiling-postgres on the shared instance's database, serving row 8's two reads
    with the bytes the shared instance gives for them: (base URL, pid), or None when it is not built."""
    if "postgres" not in session.ceilings:
        yield None
        return
    bodies, args = {}, [database_url]
    for name, path in (("file", first_file_path(shared)), ("page", LIST_PATH)):
        bodies[path] = get_json(shared.base, path)[1]
        (session.work / f"ceiling-{name}.json").write_bytes(bodies[path])
        args.append(str(session.work / f"ceiling-{name}.json"))
    with running_ceiling(session, "postgres", args, lambda base: all(get(base, p)[1] == b for p, b in bodies.items())) as started:
        yield started


def small_uploads(session: Session, shared: BenchServer, embedded: BenchServer) -> None:
    """Row 6's load (1 KiB files from 16 keep-alive clients, each answer checked) on both: a row, its
    blob and its request-log entry in PostgreSQL + S3 against SQLite and the data directory."""
    log(f"row {ROW_BACKENDS}: 1 KiB uploads, {SMALL_UPLOAD_CLIENTS} clients, PostgreSQL + S3 vs embedded")
    figures = {}
    for srv in (shared, embedded):
        figures[srv.name], _, _ = upload_load(session, srv, others=CPUByProgram(OTHER_PROGRAMS))
    mine, ref = figures[shared.name], figures[embedded.name]
    session.rows.append(row(
        ROW_BACKENDS, f"small uploads: 1 KiB files, {SMALL_UPLOAD_CLIENTS} clients, PostgreSQL + S3", "uploads/s",
        mine["requests_per_s"], ref["requests_per_s"], "the embedded default, same load", ">=", SMALL_UPLOAD_TARGET,
        f"≥ {SMALL_UPLOAD_TARGET:.2f} ×", details=dict(shared=strip_raw(mine), embedded=strip_raw(ref))))


def transfers(session: Session, shared: BenchServer, embedded: BenchServer, size: int) -> None:
    """The large upload and download: PostgreSQL + S3 against the embedded default, the shared
    instance's memory watched (bytes stream through S3 multipart uploads and ranged GETs)."""
    src, sha = big_file(session)
    label = size_label(size)
    runs = session.size["transfer_runs"]
    log(f"row {ROW_BACKENDS}: upload and download of {label}, {runs} runs each, PostgreSQL + S3 vs embedded")
    up = {shared.name: [], embedded.name: []}
    down = {shared.name: [], embedded.name: []}
    up_rss, down_rss, kept = [], [], {}
    for i in range(runs):
        for srv in (shared, embedded):
            rss = RSSMonitor(srv.pid)
            with rss:
                speed, obj = multipart_upload(srv.base, src, size)
            up[srv.name].append(speed)
            if srv is shared:
                up_rss.append(rss.summary())
            if srv.name in kept:
                delete(srv, obj["id"])
            else:
                kept[srv.name] = obj["id"]
        log(f"  upload run {i + 1}: shared {up[shared.name][-1]:.0f} MB/s (RSS +{up_rss[-1]['rss_growth_mib']} MiB), "
            f"embedded {up[embedded.name][-1]:.0f} MB/s")
    for srv in (shared, embedded):
        verify_download(srv.base, kept[srv.name], size, sha)
    for i in range(runs):
        for srv in (shared, embedded):
            rss = RSSMonitor(srv.pid)
            with rss:
                down[srv.name].append(curl_download(srv.base + f"/v1/files/{kept[srv.name]}/content", size))
            if srv is shared:
                down_rss.append(rss.summary())
        log(f"  download run {i + 1}: shared {down[shared.name][-1]:.0f} MB/s (RSS +{down_rss[-1]['rss_growth_mib']} MiB), "
            f"embedded {down[embedded.name][-1]:.0f} MB/s")
    for what, runs_by, rss_runs in (("upload", up, up_rss), ("download", down, down_rss)):
        mine, ref = statistics.median(runs_by[shared.name]), statistics.median(runs_by[embedded.name])
        session.rows.append(row(
            ROW_BACKENDS, f"{what} {label}, PostgreSQL + S3", "MB/s", round(mine, 1), round(ref, 1),
            "the embedded default, same file", details=dict(
                shared_runs_mb_s=[round(x, 1) for x in runs_by[shared.name]],
                embedded_runs_mb_s=[round(x, 1) for x in runs_by[embedded.name]], rss=rss_runs, bytes=size)))
        session.rows.append(row(
            f"{ROW_BACKENDS} rss {what}", f"{what} {label}, PostgreSQL + S3: server peak RSS growth (max of runs)", "MiB",
            max(r["rss_growth_mib"] for r in rss_runs), None, None, "<=", 64, "≤ 64 MiB", against="value",
            details=dict(runs=rss_runs)))
    for srv in (shared, embedded):
        delete(srv, kept[srv.name])


def instances(session: Session, pair: list[BenchServer], files: int) -> None:
    """GET of one file and of a list page through one nginx proxy: to one instance, then to both."""
    secs, warm = session.size["wrk_seconds"], session.size["wrk_warmup_seconds"]
    one = session.nginx.balance("one-instance", [pair[0].base])
    two = session.nginx.balance("two-instances", [s.base for s in pair])
    for what, path in (("GET /v1/files/{id}", first_file_path(pair[0])), (f"GET {LIST_PATH}", LIST_PATH)):
        log(f"row {ROW_INSTANCES}: {what} through nginx to one instance, then to two")
        single = wrk_checked("one instance", one + path, secs, warm, others=CPUByProgram(INSTANCE_PROGRAMS))
        both = wrk_checked("two instances", two + path, secs, warm, others=CPUByProgram(INSTANCE_PROGRAMS))
        session.rows.append(row(
            ROW_INSTANCES, f"{what}, two instances on PostgreSQL + S3 behind nginx", "req/s", both["requests_per_s"],
            single["requests_per_s"], "one instance behind the same nginx", ">=", 1.0, "≥ 1.00 ×", details=dict(
                two_instances=strip_raw(both), one_instance=strip_raw(single), files_stored=files,
                cpus=os.cpu_count())))


def first_file_path(srv: BenchServer) -> str:
    page, _ = get_json(srv.base, "/v1/files?limit=1")
    return f"/v1/files/{page['data'][0]['id']}"


def delete(srv: BenchServer, file_id: str) -> None:
    status, body, _ = request(srv.base, "DELETE", f"/v1/files/{file_id}")
    if status != 200:
        raise BenchError(f"DELETE /v1/files/{file_id} on {srv.name}: expected 200, got {status}: {body[:200]!r}")
