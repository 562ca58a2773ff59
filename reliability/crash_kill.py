#!/usr/bin/env python3
"""Crash test: kill -9 the server under upload/delete load, restart it, and prove no acknowledged byte is lost.

32 uploader threads send random files (1 B .. 20 MiB, log-uniform, purpose vision: its content downloads by default), 4 more build files through
the Uploads API (create, 1-4 parts, complete with md5; a part acked before a kill is used after the restart) when
the server has it, and one deleter removes
random acknowledged files while the server is killed with SIGKILL every 1-4 s and started again on the same data
dir. The client keeps its own ledger: every upload that got a 200 (id + sha256 of the bytes sent), every upload
whose outcome is unknown (in flight at a kill), every delete that got a 200 and every delete in flight at a kill.
After the last kill the server starts once more and the script checks:

  * every acknowledged, not deleted file is listed (GET /v1/files walked with `after`) with the right
    metadata, and GET /content returns exactly the bytes sent (sha256);
  * every file deleted with a 200 stays gone (not listed, GET -> 404);
  * every listed file is known to the client: acknowledged, or an upload in flight at a kill whose bytes are
    then exactly what that client sent; a file whose delete was in flight may or may not exist;
  * the rows in mockfiles.sqlite are exactly the listed files; every row has its blob; no blob without a row
    and no temp file remains once start-up recovery has run; PRAGMA integrity_check says ok;
  * the server answered no 5xx during the run and exits 0 on SIGTERM at the end.

Ends with `N passed, M failed` and exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import random
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import AUTH, check_clean_stop, db_file_ids, disk_state, integrity_check, log, wait_disk_clean, walk_files, work_server  # noqa: E402
from mockfiles_kit import Server, Tally  # noqa: E402

MiB = 1 << 20
SMALL_CAP = 64 * 1024
PURPOSE = "vision"  # downloadable by default (user_data is not), so every file's bytes can be read back
UPLOAD_MIME = "image/png"  # an Upload of purpose vision must declare an image type


@dataclass
class Attempt:
    name: str  # unique filename: maps a listed file back to the upload that made it
    size: int
    sha: str
    cycle: int
    outcome: str = "pending"  # pending | acked | unknown | refused | rejected
    file_id: str | None = None
    detail: str = ""


class Ledger:
    """What the clients know, under one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.attempts: dict[str, Attempt] = {}
        self.live: dict[str, Attempt] = {}  # acked, no delete sent
        self.live_ids: list[str] = []  # for random choice; may hold stale ids
        self.deleted: dict[str, Attempt] = {}  # delete answered 200
        self.maybe_deleted: dict[str, Attempt] = {}  # delete in flight at a kill (or other transport error)
        self.deleting: dict[str, Attempt] = {}
        self.bytes_sent = 0
        self.cycle_bytes = 0
        self.status_counts: dict[str, int] = {}
        self.unknown_uploads = 0
        self.refused_uploads = 0
        self.delete_refused = 0
        self.multipart_started = 0
        self.multipart_acked = 0
        self.parts_lost_answer = 0
        self.parts_stored_unanswered = 0

    def count_status(self, what: str) -> None:
        with self.lock:
            self.status_counts[what] = self.status_counts.get(what, 0) + 1

    def in_flight(self) -> tuple[int, int]:
        with self.lock:
            return sum(1 for a in self.attempts.values() if a.outcome == "pending"), len(self.deleting)


def pick_size(rng: random.Random, max_bytes: int) -> int:
    return max(1, min(max_bytes, int(math.exp(rng.uniform(0.0, math.log(max_bytes + 1))))))


class Run:
    def __init__(self, args: argparse.Namespace, server: Server, tally: Tally) -> None:
        self.args = args
        self.server = server
        self.tally = tally
        self.ledger = Ledger()
        self.stop = threading.Event()
        self.cycle = 0
        self.cycle_budget = args.max_total_mib * MiB // max(1, args.cycles)
        self.uploads_api = False

    def url(self, path: str) -> str:
        return self.server.root_url + path

    # ------------------------------------------------------------ workers

    def uploader(self, index: int) -> None:
        rng = random.Random(self.args.seed * 1000 + index)
        client = httpx2.Client(headers=AUTH, timeout=httpx2.Timeout(120.0, connect=5.0))
        n = 0
        try:
            data = b""
            while not self.stop.is_set():
                n += 1
                if not data:
                    size = pick_size(rng, self.args.max_file_bytes)
                    with self.ledger.lock:
                        if self.ledger.cycle_bytes + size > self.cycle_budget:
                            size = min(size, SMALL_CAP)
                        self.ledger.cycle_bytes += size
                        self.ledger.bytes_sent += size
                    data = rng.randbytes(size)
                    sha = hashlib.sha256(data).hexdigest()
                size = len(data)
                attempt = Attempt(name=f"ck-{index:02d}-{n:06d}.bin", size=size, sha=sha, cycle=self.cycle)
                with self.ledger.lock:
                    self.ledger.attempts[attempt.name] = attempt
                try:
                    r = client.post(
                        self.url("/v1/files"),
                        data={"purpose": PURPOSE},
                        files={"file": (attempt.name, data, "application/octet-stream")},
                    )
                except httpx2.ConnectError as e:
                    # Never reached a server (it is down): the file must not exist. Send the same bytes again
                    # (under a new name) once it is back.
                    with self.ledger.lock:
                        attempt.outcome, attempt.detail = "refused", repr(e)
                        self.ledger.refused_uploads += 1
                    time.sleep(0.05)
                    continue
                except httpx2.TransportError as e:
                    with self.ledger.lock:
                        attempt.outcome, attempt.detail = "unknown", repr(e)
                        self.ledger.unknown_uploads += 1
                    data = b""
                    continue
                data = b""
                self.ledger.count_status(f"upload {r.status_code}")
                if r.status_code == 200:
                    body = r.json()
                    fid = body.get("id")
                    ok = (
                        isinstance(fid, str)
                        and body.get("bytes") == size
                        and body.get("filename") == attempt.name
                        and body.get("purpose") == PURPOSE
                        and body.get("object") == "file"
                    )
                    self.tally.check(ok, "upload answer matches what was sent", f"{attempt.name} size {size}: {body}")
                    with self.ledger.lock:
                        attempt.outcome, attempt.file_id = "acked", fid
                        self.ledger.live[fid] = attempt
                        self.ledger.live_ids.append(fid)
                else:
                    self.tally.check(False, "upload answered 200", f"{attempt.name} size {size}: {r.status_code} {r.text[:300]}")
                    with self.ledger.lock:
                        attempt.outcome = "rejected" if r.status_code < 500 else "unknown"
                        attempt.detail = f"HTTP {r.status_code}"
        finally:
            client.close()

    def multipart_uploader(self, index: int) -> None:
        """Uploads API: create an Upload, add 1-4 parts, complete. A kill in between must not lose an acked part:
        after the restart the same Upload is finished with the parts acked before the kill (a part whose answer
        was lost is sent again). A complete in flight at a kill leaves the outcome unknown."""
        rng = random.Random(self.args.seed * 1000 + 500 + index)
        client = httpx2.Client(headers=AUTH, timeout=httpx2.Timeout(120.0, connect=5.0))
        n = 0

        def post(path: str, **kw: object) -> httpx2.Response | None:
            """None when the server was down (never reached); raises on a lost answer."""
            try:
                return client.post(self.url(path), **kw)
            except httpx2.ConnectError:
                time.sleep(0.05)
                return None

        try:
            while not self.stop.is_set():
                n += 1
                total = pick_size(rng, self.args.max_file_bytes)
                with self.ledger.lock:
                    if self.ledger.cycle_bytes + total > self.cycle_budget:
                        total = min(total, SMALL_CAP)
                    self.ledger.cycle_bytes += total
                    self.ledger.bytes_sent += total
                data = rng.randbytes(total)
                cuts = sorted(rng.sample(range(1, total), min(rng.randint(0, 3), total - 1))) if total > 1 else []
                chunks = [data[a:b] for a, b in zip([0, *cuts], [*cuts, total])]
                name = f"ck-up-{index:02d}-{n:06d}.bin"
                attempt = Attempt(name=name, size=total, sha=hashlib.sha256(data).hexdigest(), cycle=self.cycle)
                body = {"filename": name, "purpose": PURPOSE, "bytes": total, "mime_type": UPLOAD_MIME}
                try:
                    r = None
                    while r is None and not self.stop.is_set():
                        r = post("/v1/uploads", json=body)
                    if r is None:
                        return
                except httpx2.TransportError:
                    continue  # the Upload may exist, pending: nothing to check, it never becomes a File
                self.ledger.count_status(f"create-upload {r.status_code}")
                if not self.tally.check(r.status_code == 200, "POST /v1/uploads answers 200", f"{r.status_code} {r.text[:300]}"):
                    continue
                upload_id = r.json()["id"]
                part_ids: list[str] = []
                answer_lost = False  # a part of this Upload may be stored without its id known
                for chunk in chunks:
                    while not self.stop.is_set():
                        try:
                            r = post(f"/v1/uploads/{upload_id}/parts", files={"data": ("blob", chunk, "application/octet-stream")})
                        except httpx2.TransportError:
                            with self.ledger.lock:
                                self.ledger.parts_lost_answer += 1
                            answer_lost = True
                            continue  # answer lost at a kill: send the same bytes again as a new part
                        if r is None:
                            continue
                        self.ledger.count_status(f"add-part {r.status_code}")
                        if answer_lost and r.status_code == 400 and (r.json().get("error") or {}).get("param") == "data":
                            # A part whose answer was lost had been stored: no Upload takes more than it
                            # declared, so a resend (or a later part) past the bytes is refused. Without the
                            # lost part's id (the API lists no parts) this Upload cannot be completed: leave
                            # it to expire.
                            with self.ledger.lock:
                                self.ledger.parts_stored_unanswered += 1
                            break
                        ok = r.status_code == 200 and r.json().get("upload_id") == upload_id
                        self.tally.check(ok, "an acked Upload takes parts, also after a restart", f"{upload_id}: {r.status_code} {r.text[:300]}")
                        if ok:
                            part_ids.append(r.json()["id"])
                        break
                if self.stop.is_set() or len(part_ids) != len(chunks):
                    continue
                with self.ledger.lock:
                    self.ledger.attempts[name] = attempt
                    if any(p for p in part_ids):
                        self.ledger.multipart_started += 1
                try:
                    r = None
                    while r is None and not self.stop.is_set():
                        r = post(f"/v1/uploads/{upload_id}/complete", json={"part_ids": part_ids, "md5": hashlib.md5(data).hexdigest()})
                except httpx2.TransportError as e:
                    with self.ledger.lock:
                        attempt.outcome, attempt.detail = "unknown", f"complete {e!r}"
                        self.ledger.unknown_uploads += 1
                    continue
                if r is None:
                    attempt.outcome = "refused"
                    return
                self.ledger.count_status(f"complete {r.status_code}")
                body = r.json()
                f = body.get("file") or {}
                ok = r.status_code == 200 and body.get("status") == "completed" and f.get("bytes") == total and f.get("filename") == name
                if not self.tally.check(ok, "complete answers 200 with the File", f"{upload_id} ({total} B in {len(chunks)} parts): {r.status_code} {r.text[:300]}"):
                    with self.ledger.lock:
                        attempt.outcome = "rejected" if r.status_code < 500 else "unknown"
                    continue
                with self.ledger.lock:
                    attempt.outcome, attempt.file_id = "acked", f["id"]
                    self.ledger.live[f["id"]] = attempt
                    self.ledger.live_ids.append(f["id"])
                    self.ledger.multipart_acked += 1
        finally:
            client.close()

    def deleter(self) -> None:
        rng = random.Random(self.args.seed * 1000 + 999)
        client = httpx2.Client(headers=AUTH, timeout=httpx2.Timeout(60.0, connect=5.0))
        try:
            while not self.stop.is_set():
                time.sleep(rng.uniform(0.0, 2 * self.args.delete_interval))
                with self.ledger.lock:
                    fid = None
                    while self.ledger.live_ids:
                        i = rng.randrange(len(self.ledger.live_ids))
                        candidate = self.ledger.live_ids[i]
                        self.ledger.live_ids[i] = self.ledger.live_ids[-1]
                        self.ledger.live_ids.pop()
                        if candidate in self.ledger.live:
                            fid = candidate
                            break
                    if fid is None:
                        continue
                    attempt = self.ledger.live.pop(fid)
                    self.ledger.deleting[fid] = attempt
                try:
                    r = client.delete(self.url(f"/v1/files/{fid}"))
                except httpx2.ConnectError:
                    # Never reached a server: the file is still there; put it back.
                    with self.ledger.lock:
                        self.ledger.deleting.pop(fid)
                        self.ledger.live[fid] = attempt
                        self.ledger.live_ids.append(fid)
                        self.ledger.delete_refused += 1
                    time.sleep(0.05)
                    continue
                except httpx2.TransportError as e:
                    with self.ledger.lock:
                        self.ledger.deleting.pop(fid)
                        attempt.detail = f"delete {e!r}"
                        self.ledger.maybe_deleted[fid] = attempt
                    continue
                self.ledger.count_status(f"delete {r.status_code}")
                with self.ledger.lock:
                    self.ledger.deleting.pop(fid)
                    if r.status_code == 200:
                        self.ledger.deleted[fid] = attempt
                    else:
                        self.ledger.maybe_deleted[fid] = attempt
                if r.status_code == 200:
                    body = r.json()
                    self.tally.check(body == {"id": fid, "object": "file", "deleted": True}, "delete answer shape", f"{fid}: {body}")
                else:
                    # Only this thread deletes, and it never deletes twice: an acked file must still be there.
                    self.tally.check(False, "delete of an acknowledged file answered 200", f"{fid}: {r.status_code} {r.text[:300]}")
        finally:
            client.close()

    # ------------------------------------------------------------ driver

    def drive(self) -> dict[str, float]:
        args = self.args
        rng = random.Random(args.seed)
        stats = {"kills": 0, "restarts": 0, "max_restart_s": 0.0, "in_flight_uploads_at_kills": 0, "in_flight_deletes_at_kills": 0,
                 "temp_files_left_by_kills": 0, "orphan_blobs_left_by_kills": 0}
        self.server.spawn(attempts=3)
        probe = httpx2.post(self.url("/v1/uploads"), json={}, headers=AUTH, timeout=30)
        self.uploads_api = self.args.upload_api_threads > 0 and not (probe.status_code == 404 and "Invalid URL" in probe.text)
        log(f"Uploads API {'in use by ' + str(self.args.upload_api_threads) + ' threads' if self.uploads_api else 'not used'}")
        threads = [threading.Thread(target=self.uploader, args=(i,), name=f"uploader-{i}", daemon=True) for i in range(args.uploaders)]
        if self.uploads_api:
            threads += [
                threading.Thread(target=self.multipart_uploader, args=(i,), name=f"multipart-{i}", daemon=True)
                for i in range(args.upload_api_threads)
            ]
        threads.append(threading.Thread(target=self.deleter, name="deleter", daemon=True))
        for t in threads:
            t.start()
        low = min(1.0, args.seconds_per_cycle / 4)
        for cycle in range(1, args.cycles + 1):
            self.cycle = cycle
            with self.ledger.lock:
                self.ledger.cycle_bytes = 0
            uptime = rng.uniform(low, args.seconds_per_cycle)
            time.sleep(uptime)
            uploads, deletes = self.ledger.in_flight()
            self.server.kill()
            stats["kills"] += 1
            stats["in_flight_uploads_at_kills"] += uploads
            stats["in_flight_deletes_at_kills"] += deletes
            with self.ledger.lock:
                acked, gone = len(self.ledger.live) + len(self.ledger.deleting), len(self.ledger.deleted)
            log(f"cycle {cycle}/{args.cycles}: killed after {uptime:.2f}s with {uploads} uploads and {deletes} deletes in flight; {acked} acked live, {gone} deleted so far")
            # What the crash left behind, seen while the server is down: recovery's work.
            try:
                left = disk_state(self.server.data_dir)
                stats["temp_files_left_by_kills"] += len(left.temps)
                stats["orphan_blobs_left_by_kills"] += len(left.orphans)
            except Exception as e:  # noqa: BLE001
                log(f"could not inspect the data dir while down: {e!r}")
            time.sleep(rng.uniform(0.0, 0.3))
            if cycle < args.cycles:
                took = self.restart()
                stats["restarts"] += 1
                stats["max_restart_s"] = max(stats["max_restart_s"], took)
        self.stop.set()
        for t in threads:
            t.join(timeout=180)
            self.tally.check(not t.is_alive(), "worker threads finish", t.name)
        took = self.restart()
        stats["restarts"] += 1
        stats["max_restart_s"] = max(stats["max_restart_s"], took)
        return stats

    def restart(self) -> float:
        try:
            took = self.server.spawn(attempts=3)
        except RuntimeError as e:
            self.tally.check(False, "server restarts after kill -9", str(e))
            raise
        self.tally.check(True, "server restarts after kill -9")
        return took

    # ------------------------------------------------------------ verification

    def verify(self) -> dict[str, int]:
        ledger, tally = self.ledger, self.tally
        counts = {"files_verified": 0, "in_flight_files_found": 0, "maybe_deleted_present": 0, "deleted_verified": 0}
        client = httpx2.Client(base_url=self.server.root_url, headers=AUTH, timeout=120.0)
        try:
            listed_list, problems = walk_files(client, limit=500, order="asc")
            tally.check(not problems, "list walk (asc, limit 500) is clean", "; ".join(problems[:5]))
            listed = {f["id"]: f for f in listed_list}
            desc, problems = walk_files(client, limit=97, order="desc")
            tally.check(not problems, "list walk (desc, limit 97) is clean", "; ".join(problems[:5]))
            tally.check(
                [f["id"] for f in desc] == [f["id"] for f in reversed(listed_list)],
                "asc and desc walks list the same files in mirrored order",
                f"asc {len(listed_list)} files, desc {len(desc)} files",
            )

            def content_sha(fid: str) -> tuple[int, str, int]:
                h = hashlib.sha256()
                n = 0
                with client.stream("GET", f"/v1/files/{fid}/content") as r:
                    if r.status_code != 200:
                        r.read()
                        return r.status_code, r.text[:200], 0
                    for chunk in r.iter_bytes(1 << 20):
                        h.update(chunk)
                        n += len(chunk)
                return 200, h.hexdigest(), n

            to_read: list[tuple[str, Attempt, str]] = []
            attempts_by_id = {}
            for fid, attempt in list(ledger.live.items()) + list(ledger.deleting.items()):
                attempts_by_id[fid] = attempt
                f = listed.get(fid)
                if not tally.check(f is not None, "acknowledged file is listed", f"{fid} ({attempt.name}, {attempt.size} B, cycle {attempt.cycle})"):
                    continue
                tally.check(
                    f["bytes"] == attempt.size and f["filename"] == attempt.name and f["purpose"] == PURPOSE,
                    "listed metadata matches the upload",
                    f"{fid}: listed {f}, sent {attempt.name} {attempt.size} B",
                )
                to_read.append((fid, attempt, "acked"))
            for fid, attempt in ledger.maybe_deleted.items():
                attempts_by_id[fid] = attempt
                if fid in listed:
                    counts["maybe_deleted_present"] += 1
                    to_read.append((fid, attempt, "maybe-deleted"))
            for fid, attempt in ledger.deleted.items():
                attempts_by_id[fid] = attempt
                tally.check(fid not in listed, "file deleted with 200 is not listed", f"{fid} ({attempt.name})")
                r = client.get(f"/v1/files/{fid}")
                tally.check(r.status_code == 404, "file deleted with 200 answers 404", f"{fid}: {r.status_code} {r.text[:200]}")
                counts["deleted_verified"] += 1
            by_name = ledger.attempts
            for fid, f in listed.items():
                if fid in attempts_by_id:
                    continue
                attempt = by_name.get(f["filename"])
                known = attempt is not None and attempt.outcome == "unknown"
                if not tally.check(known, "every listed file is known to the client", f"{fid}: {f} (attempt: {attempt})"):
                    continue
                assert attempt is not None
                counts["in_flight_files_found"] += 1
                tally.check(f["bytes"] == attempt.size, "in-flight upload that survived has the size sent", f"{fid}: {f}, sent {attempt.size}")
                to_read.append((fid, attempt, "in-flight"))

            with ThreadPoolExecutor(max_workers=4) as pool:
                results = list(pool.map(lambda item: (item, content_sha(item[0])), to_read))
            for (fid, attempt, kind), (status, digest, n) in results:
                ok = status == 200 and digest == attempt.sha and n == attempt.size
                tally.check(ok, f"content of {kind} file is byte-exact", f"{fid} ({attempt.name}): status {status}, {n} B, sha {digest[:16]} vs sent {attempt.sha[:16]} {attempt.size} B")
                counts["files_verified"] += 1

            # The server's view and the database agree.
            rows = db_file_ids(self.server.data_dir)
            tally.check(rows == set(listed), "database rows are exactly the listed files", f"rows-only {sorted(rows - set(listed))[:5]}, listed-only {sorted(set(listed) - rows)[:5]}")
        finally:
            client.close()
        return counts


def main() -> None:
    if "--shared" in sys.argv[1:]:  # two instances on PostgreSQL + S3: its own options and defaults
        import crash_kill_shared

        crash_kill_shared.main(sys.argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", action="store_true", help="two instances on PostgreSQL + S3 instead (crash_kill_shared.py; `--shared --help` for its options)")
    parser.add_argument("--cycles", type=int, default=20, help="kill -9 / restart cycles (default 20; CI uses 5)")
    parser.add_argument("--seconds-per-cycle", type=float, default=4.0, help="longest uptime before a kill; each kill comes after uniform(min(1, S/4), S) s (default 4)")
    parser.add_argument("--uploaders", type=int, default=32, help="uploader threads (default 32)")
    parser.add_argument("--upload-api-threads", type=int, default=4, help="threads using the Uploads API (create, parts, complete) when the server has it (default 4; 0: none)")
    parser.add_argument("--max-file-bytes", type=int, default=20 * MiB, help="largest upload (default 20 MiB)")
    parser.add_argument("--max-total-mib", type=int, default=3072, help="bytes budget of the whole run; past a cycle's share uploads are <= 64 KiB (default 3072)")
    parser.add_argument("--delete-interval", type=float, default=0.02, help="mean seconds between deletes (default 0.02)")
    parser.add_argument("--recovery-timeout", type=float, default=60.0, help="seconds to wait for start-up recovery to clean the data dir")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: from time)")
    parser.add_argument("--keep", action="store_true", help="keep the temp data dir")
    args = parser.parse_args()
    if args.seed is None:
        args.seed = int(time.time()) % 1_000_000

    work = Path(tempfile.mkdtemp(prefix="mockfiles-crash-"))
    server = work_server(work)
    data_dir = server.data_dir
    tally = Tally()
    log(f"crash_kill: seed {args.seed}, {args.cycles} cycles, {args.uploaders} uploaders, data dir {data_dir}, binary {server.binary}")
    run = Run(args, server, tally)
    started = time.monotonic()
    try:
        stats = run.drive()
        state, waited = wait_disk_clean(data_dir, args.recovery_timeout)
        log(f"recovery: disk state after {waited:.1f}s: {state.rows} rows, {state.blobs} blobs, {len(state.orphans)} orphans, {len(state.temps)} temp files")
        tally.check(not state.orphans, "no orphan blob (blob without row) after recovery", f"{len(state.orphans)}: {state.orphans[:5]}")
        tally.check(not state.temps, "no temp file after recovery", f"{len(state.temps)}: {state.temps[:5]}")
        tally.check(not state.missing_blobs, "every row has its blob", f"{len(state.missing_blobs)}: {state.missing_blobs[:5]}")
        tally.check(not state.misplaced, "every blob is in its shard directory", f"{state.misplaced[:5]}")
        counts = run.verify()
        result = integrity_check(data_dir)
        tally.check(result == "ok", "PRAGMA integrity_check is ok", result[:500])
        fives = {k: v for k, v in run.ledger.status_counts.items() if k.split()[1].startswith("5")}
        tally.check(not fives, "no 5xx answers during the run", str(fives))
        check_clean_stop(tally, server)
    except Exception as e:  # noqa: BLE001
        tally.check(False, "run completes", repr(e))
        server.stop()
        stats, counts, state = {}, {}, None
    ledger = run.ledger
    elapsed = time.monotonic() - started
    print()
    print("summary")
    print(f"  seed                         {args.seed}")
    print(f"  elapsed                      {elapsed:.1f} s")
    print(f"  kills (SIGKILL)              {stats.get('kills', 0)}")
    print(f"  restarts                     {stats.get('restarts', 0)} (slowest to /health: {stats.get('max_restart_s', 0.0):.2f} s)")
    print(f"  upload attempts              {len(ledger.attempts)} ({ledger.bytes_sent / MiB:.0f} MiB generated)")
    print(f"  uploads acked (200)          {sum(1 for a in ledger.attempts.values() if a.outcome == 'acked')}")
    print(f"  via the Uploads API          {ledger.multipart_acked} completed (acked) of {ledger.multipart_started} with all parts in; part answers lost at a kill and resent: {ledger.parts_lost_answer} (of which stored before the kill, the resend refused: {ledger.parts_stored_unanswered})")
    print(f"  uploads in flight at a kill  {ledger.unknown_uploads} (outcome unknown); refused while down: {ledger.refused_uploads}")
    print(f"  deletes acked (200)          {len(ledger.deleted)}; in flight at a kill: {len(ledger.maybe_deleted)} ({counts.get('maybe_deleted_present', 0)} still present)")
    print(f"  left on disk by the kills    {stats.get('temp_files_left_by_kills', 0)} temp files, {stats.get('orphan_blobs_left_by_kills', 0)} orphan blobs (summed over kills; recovery removes them)")
    print(f"  files verified byte-exact    {counts.get('files_verified', 0)} (of which in-flight uploads that survived: {counts.get('in_flight_files_found', 0)})")
    print(f"  deleted files verified gone  {counts.get('deleted_verified', 0)}")
    if state is not None:
        print(f"  orphan blobs                 {len(state.orphans)}")
        print(f"  temp files                   {len(state.temps)}")
    print(f"  answers                      {dict(sorted(ledger.status_counts.items()))}")
    tally.finish(work, keep=args.keep)


if __name__ == "__main__":
    main()
