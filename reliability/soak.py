#!/usr/bin/env python3
"""Soak test: 64 client threads of mixed Files API calls against one fresh server for N seconds.

Each thread loops over random operations: upload a small (1 B .. 64 KiB) or medium (64 KiB .. 2 MiB) file with a
random purpose, list (random limit/order/purpose, partial walks of a few pages and full walks with `after`),
retrieve, download content (whole, or a byte range), delete, ask for a deleted file, and start an upload then
vanish mid-body (FIN or RST). The client keeps a
ledger of every file it was answered 200 for and checks, while the load runs:

  * no 5xx, no transport error, no answer mentioning "database is locked" (nor in the server's log);
  * every content read is byte-exact (sha256; ranges against the bytes kept for small files); content of a
    purpose the real service does not hand out (user_data, assistants) is its 400 `Not allowed to download
    files of purpose: P`;
  * a 404 for a file only once its delete was sent; a delete of a live file answers 200 exactly once;
  * list pages: no duplicate id in a walk, order by created_at as asked, purpose filter kept, first_id/last_id
    match the page, no more than `limit` items; a full walk lists every file acknowledged before it began and
    not deleted by its end, and none whose delete was acknowledged before it began;
  * the server's RSS (VmRSS, sampled every second): the last third's max exceeds the first third's max by no
    more than --rss-growth-mib (default 64).

After the load (no restart): the listed files are exactly the live ones, each one's content is byte-exact, the
data dir has no orphan blob and no temp file (aborted uploads cleaned up at once), PRAGMA integrity_check is ok, and SIGTERM stops the server with exit 0.
Ends with `N passed, M failed`; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import random
import os
import socket
import struct
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import AUTH, check_clean_stop, db_file_ids, integrity_check, log, wait_disk_clean, walk_files, work_server  # noqa: E402
from mockfiles_kit import Server, Tally  # noqa: E402

KiB, MiB = 1 << 10, 1 << 20
# vision and batch download by default; user_data and assistants are refused (as the real service does).
PURPOSES = [("vision", 6), ("batch", 2), ("user_data", 1), ("assistants", 1)]
NOT_DOWNLOADABLE = {"user_data", "assistants"}
OPS = [
    ("upload_small", 20),
    ("upload_medium", 4),
    ("list", 18),
    ("retrieve", 15),
    ("content", 20),
    ("content_range", 6),
    ("delete", 10),
    ("retrieve_deleted", 3),
    ("upload_abort", 1),
]
LOCKED = "database is locked"


def refused_download(r: httpx2.Response, purpose: str) -> bool:
    """The real service's answer to content of a purpose it does not hand out."""
    try:
        error = r.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    return r.status_code == 400 and error == {
        "message": f"Not allowed to download files of purpose: {purpose}",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }


@dataclass
class Rec:
    id: str
    name: str
    purpose: str
    size: int
    sha: str
    data: bytes | None  # kept for small files: range reads are checked against it
    acked_at: float
    state: str = "live"  # live | deleting | deleted
    deleted_at: float | None = None


class Soak:
    def __init__(self, args: argparse.Namespace, server: Server, tally: Tally) -> None:
        self.args = args
        self.server = server
        self.tally = tally
        self.lock = threading.Lock()
        self.files: dict[str, Rec] = {}
        self.live_ids: list[str] = []
        self.deleted_ids: list[str] = []
        self.stop = threading.Event()
        self.ops: dict[str, int] = {}
        self.latencies: dict[str, list[float]] = {}
        self.statuses: dict[int, int] = {}
        self.walks = {"partial": 0, "full": 0}
        self.rss: list[tuple[float, int]] = []
        self.bytes_up = 0
        self.bytes_down = 0

    # ------------------------------------------------------------ bookkeeping

    def answered(self, op: str, r: httpx2.Response, elapsed: float, *, binary: bool = False) -> None:
        with self.lock:
            self.ops[op] = self.ops.get(op, 0) + 1
            self.latencies.setdefault(op, []).append(elapsed)
            self.statuses[r.status_code] = self.statuses.get(r.status_code, 0) + 1
        if r.status_code >= 500:
            self.tally.check(False, "no 5xx", f"{op} {r.request.method} {r.request.url.path}: {r.status_code} {r.text[:300]}")
        else:
            self.tally.check(True, "no 5xx")
        if not (binary and r.status_code in (200, 206)):
            self.tally.check(LOCKED not in r.text.lower(), "no 'database is locked' answer", f"{op}: {r.status_code} {r.text[:300]}")

    def pick(self, rng: random.Random, state: str = "live") -> Rec | None:
        with self.lock:
            ids = self.live_ids if state == "live" else self.deleted_ids
            while ids:
                i = rng.randrange(len(ids))
                rec = self.files[ids[i]]
                if rec.state == state:
                    return rec
                ids[i] = ids[-1]
                ids.pop()
        return None

    def gone_ok(self, rec: Rec, what: str, r: httpx2.Response) -> None:
        """A 404 on a file the client knows: fine once its delete was sent, a lost file otherwise."""
        with self.lock:
            state = rec.state
        self.tally.check(state != "live", f"{what}: 404 only after the delete was sent", f"{rec.id} ({rec.name}, {rec.size} B): {r.text[:200]}")
        if state != "live":
            self.tally.check(r.json().get("error", {}).get("param") == "id", f"{what}: 404 names param id", r.text[:200])

    # ------------------------------------------------------------ operations

    def op_upload(self, client: httpx2.Client, rng: random.Random, index: int, n: int, low: int, high: int, op: str) -> None:
        size = max(low, min(high, int(math.exp(rng.uniform(math.log(low), math.log(high + 1))))))
        purpose = rng.choices([p for p, _ in PURPOSES], weights=[w for _, w in PURPOSES])[0]
        name = f"soak-{index:02d}-{n:06d}" + (".jsonl" if purpose == "batch" else ".bin")
        data = rng.randbytes(size)
        if purpose == "batch":
            data = b'{"custom_id":"x"}\n' * max(1, size // 18)
        sha = hashlib.sha256(data).hexdigest()
        t = time.monotonic()
        r = client.post("/v1/files", data={"purpose": purpose}, files={"file": (name, data, "application/octet-stream")})
        self.answered(op, r, time.monotonic() - t)
        if not self.tally.check(r.status_code == 200, "upload answers 200", f"{name} {purpose} {len(data)} B: {r.status_code} {r.text[:300]}"):
            return
        body = r.json()
        ok = body.get("bytes") == len(data) and body.get("filename") == name and body.get("purpose") == purpose
        ok = ok and ((body.get("expires_at") is not None) if purpose == "batch" else body.get("expires_at") is None)
        self.tally.check(ok, "upload answer matches what was sent", f"{name} {purpose} {len(data)} B: {body}")
        rec = Rec(body["id"], name, purpose, len(data), sha, data if len(data) <= 64 * KiB else None, time.monotonic())
        with self.lock:
            self.files[rec.id] = rec
            self.live_ids.append(rec.id)
            self.bytes_up += len(data)

    def op_upload_abort(self, rng: random.Random) -> None:
        """A client that goes away mid-upload (FIN or RST): the server must drop the temp file, keep no row."""
        boundary = f"soakabort{rng.getrandbits(48):x}"
        declared = 8 * MiB
        head = (
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nuser_data\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"aborted.bin\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        request = (
            f"POST /v1/files HTTP/1.1\r\nHost: 127.0.0.1:{self.server.port}\r\nAuthorization: Bearer sk-test\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {declared}\r\n\r\n"
        ).encode()
        sent = rng.choice([0, 1, 4096, 300 * KiB, 2 * MiB])
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=30) as sock:
            if rng.random() < 0.5:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with RST
            sock.sendall(request + head + os.urandom(sent))
            time.sleep(rng.uniform(0.0, 0.2))
        with self.lock:
            self.ops["upload_abort"] = self.ops.get("upload_abort", 0) + 1

    def op_retrieve(self, client: httpx2.Client, rng: random.Random) -> None:
        rec = self.pick(rng)
        if rec is None:
            return
        t = time.monotonic()
        r = client.get(f"/v1/files/{rec.id}")
        self.answered("retrieve", r, time.monotonic() - t)
        if r.status_code == 404:
            return self.gone_ok(rec, "retrieve", r)
        if self.tally.check(r.status_code == 200, "retrieve answers 200 or 404", f"{rec.id}: {r.status_code} {r.text[:300]}"):
            f = r.json()
            self.tally.check(
                f.get("id") == rec.id and f.get("bytes") == rec.size and f.get("filename") == rec.name and f.get("purpose") == rec.purpose,
                "retrieved metadata matches the upload",
                f"{rec.id}: {f}",
            )

    def op_content(self, client: httpx2.Client, rng: random.Random, ranged: bool) -> None:
        rec = self.pick(rng)
        if rec is None:
            return
        headers = {}
        start = end = 0
        kept = rec.data  # the delete path drops rec.data; keep our own reference
        if ranged:
            if kept is None or rec.size < 2:
                return
            start = rng.randrange(rec.size)
            end = rng.randrange(start, rec.size)
            headers["Range"] = f"bytes={start}-{end}"
        op = "content_range" if ranged else "content"
        t = time.monotonic()
        h = hashlib.sha256()
        n = 0
        body = b""
        with client.stream("GET", f"/v1/files/{rec.id}/content", headers=headers) as r:
            if r.status_code in (200, 206):
                for chunk in r.iter_bytes(256 * KiB):
                    h.update(chunk)
                    n += len(chunk)
                    if ranged:
                        body += chunk
            else:
                r.read()
        self.answered(op, r, time.monotonic() - t, binary=True)
        with self.lock:
            self.bytes_down += n
        if r.status_code == 404:
            return self.gone_ok(rec, op, r)
        if rec.purpose in NOT_DOWNLOADABLE:
            self.tally.check(refused_download(r, rec.purpose), f"content of purpose={rec.purpose} is refused with 400", f"{rec.id}: {r.status_code} {r.text[:200]}")
            return
        if ranged:
            ok = r.status_code == 206 and body == kept[start : end + 1] and r.headers.get("content-range") == f"bytes {start}-{end}/{rec.size}"
            self.tally.check(ok, "range read is byte-exact (206)", f"{rec.id} {start}-{end}/{rec.size}: {r.status_code} {len(body)} B, {r.headers.get('content-range')}")
        else:
            ok = r.status_code == 200 and n == rec.size and h.hexdigest() == rec.sha
            self.tally.check(ok, "content read is byte-exact", f"{rec.id} ({rec.name}): {r.status_code}, {n} B vs {rec.size} B, sha {h.hexdigest()[:16]} vs {rec.sha[:16]}")

    def op_delete(self, client: httpx2.Client, rng: random.Random) -> None:
        rec = self.pick(rng)
        if rec is None:
            return
        with self.lock:
            if rec.state != "live":
                return
            rec.state = "deleting"
        t = time.monotonic()
        r = client.delete(f"/v1/files/{rec.id}")
        self.answered("delete", r, time.monotonic() - t)
        ok = r.status_code == 200 and r.json() == {"id": rec.id, "object": "file", "deleted": True}
        self.tally.check(ok, "delete of a live file answers 200 {id, object, deleted}", f"{rec.id}: {r.status_code} {r.text[:300]}")
        with self.lock:
            if ok:
                rec.state, rec.deleted_at = "deleted", time.monotonic()
                rec.data = None
                self.deleted_ids.append(rec.id)
            else:
                rec.state = "live"  # unknown: leave it to the final check

    def op_retrieve_deleted(self, client: httpx2.Client, rng: random.Random) -> None:
        rec = self.pick(rng, "deleted")
        if rec is None:
            return
        path = rng.choice([f"/v1/files/{rec.id}", f"/v1/files/{rec.id}/content"])
        method = rng.choice(["GET", "DELETE"]) if not path.endswith("content") else "GET"
        t = time.monotonic()
        r = client.request(method, path)
        self.answered("retrieve_deleted", r, time.monotonic() - t)
        err = r.json().get("error", {}) if r.headers.get("content-type", "").startswith("application/json") else {}
        self.tally.check(
            r.status_code == 404 and err.get("message") == f"No such File object: {rec.id}",
            "a deleted file answers 404 No such File object",
            f"{method} {path}: {r.status_code} {r.text[:200]}",
        )

    def op_list(self, client: httpx2.Client, rng: random.Random) -> None:
        full = rng.random() < 0.15
        order = rng.choice(["asc", "desc", None])
        purpose = rng.choice([None, None, "user_data", "assistants", "vision", "batch"])
        limit = rng.choice([100, 1000, None]) if full else rng.choice([1, 2, 3, 7, 20, 50])
        pages = 10**6 if full else rng.randint(1, 4)
        began = time.monotonic()
        seen: dict[str, dict] = {}
        after: str | None = None
        problems: list[str] = []
        last_created: int | None = None
        complete = False
        for _ in range(pages):
            params: dict[str, object] = {}
            if order:
                params["order"] = order
            if purpose:
                params["purpose"] = purpose
            if limit:
                params["limit"] = limit
            if after:
                params["after"] = after
            t = time.monotonic()
            r = client.get("/v1/files", params=params)
            self.answered("list", r, time.monotonic() - t)
            if r.status_code != 200:
                problems.append(f"{params}: {r.status_code} {r.text[:200]}")
                break
            page = r.json()
            data = page["data"]
            if limit and len(data) > limit:
                problems.append(f"{len(data)} items > limit {limit}")
            if page.get("first_id") != (data[0]["id"] if data else None) or page.get("last_id") != (data[-1]["id"] if data else None):
                problems.append(f"first_id/last_id {page.get('first_id')}/{page.get('last_id')} do not match the page")
            if page["has_more"] and limit and len(data) < limit:
                problems.append(f"has_more with a short page ({len(data)} < {limit})")
            for f in data:
                if f["id"] in seen:
                    problems.append(f"duplicate id {f['id']} in one walk")
                seen[f["id"]] = f
                if purpose and f["purpose"] != purpose:
                    problems.append(f"purpose filter {purpose} listed {f['id']} of purpose {f['purpose']}")
                if last_created is not None:
                    if (order == "asc" and f["created_at"] < last_created) or (order != "asc" and f["created_at"] > last_created):
                        problems.append(f"order {order or 'desc'} broken at {f['id']}: {f['created_at']} after {last_created}")
                last_created = f["created_at"]
            if not page["has_more"]:
                complete = True
                break
            if not data:
                problems.append("has_more on an empty page")
                break
            after = data[-1]["id"]
        with self.lock:
            self.walks["full" if full else "partial"] += 1
            snapshot = list(self.files.values())
        ended = time.monotonic()
        # Files the client knows: the listed ones must match, deleted-before-the-walk ones must not show.
        for f in seen.values():
            rec = self.files.get(f["id"])
            if rec is None:
                continue  # committed, its 200 not read yet
            if rec.deleted_at is not None and rec.deleted_at < began:
                problems.append(f"{rec.id} listed though its delete was answered before the walk began")
            if f["bytes"] != rec.size or f["filename"] != rec.name or f["purpose"] != rec.purpose:
                problems.append(f"listed {f} does not match the upload ({rec.name}, {rec.size} B, {rec.purpose})")
        if full and complete:
            missing = [
                rec.id
                for rec in snapshot
                if rec.acked_at < began and rec.state == "live" and (purpose is None or rec.purpose == purpose) and rec.id not in seen
            ]
            # `state == "live"` is read after the walk: a file deleted during the walk is excused.
            if missing:
                problems.append(f"full walk (limit {limit}, order {order}, purpose {purpose}) skipped {len(missing)} live files, e.g. {missing[:3]}")
        kind = "full" if full else "partial"
        self.tally.check(not problems, f"list walk invariants ({kind})", "; ".join(problems[:5]) + f" [walk took {ended - began:.2f}s]")

    # ------------------------------------------------------------ threads

    def worker(self, index: int) -> None:
        rng = random.Random(self.args.seed * 1000 + index)
        client = httpx2.Client(base_url=self.server.root_url, headers=AUTH, timeout=httpx2.Timeout(120.0, connect=10.0))
        names = [o for o, _ in OPS]
        weights = [w for _, w in OPS]
        n = 0
        try:
            while not self.stop.is_set():
                n += 1
                op = rng.choices(names, weights=weights)[0]
                try:
                    if op == "upload_small":
                        self.op_upload(client, rng, index, n, 1, 64 * KiB, op)
                    elif op == "upload_medium":
                        self.op_upload(client, rng, index, n, 64 * KiB, self.args.medium_max_kib * KiB, op)
                    elif op == "list":
                        self.op_list(client, rng)
                    elif op == "retrieve":
                        self.op_retrieve(client, rng)
                    elif op in ("content", "content_range"):
                        self.op_content(client, rng, op == "content_range")
                    elif op == "delete":
                        self.op_delete(client, rng)
                    elif op == "retrieve_deleted":
                        self.op_retrieve_deleted(client, rng)
                    elif op == "upload_abort":
                        self.op_upload_abort(rng)
                except httpx2.TransportError as e:
                    self.tally.check(False, "no transport error", f"{op}: {e!r}")
                except Exception as e:  # noqa: BLE001
                    self.tally.check(False, "client-side exception", f"{op}: {e!r}")
        finally:
            client.close()

    def sampler(self) -> None:
        began = time.monotonic()
        while not self.stop.is_set():
            kib = self.server.rss_kib()
            if kib is not None:
                self.rss.append((time.monotonic() - began, kib))
            self.stop.wait(1.0)

    def run(self) -> None:
        threads = [threading.Thread(target=self.worker, args=(i,), name=f"client-{i}", daemon=True) for i in range(self.args.threads)]
        sampler = threading.Thread(target=self.sampler, name="rss", daemon=True)
        sampler.start()
        for t in threads:
            t.start()
        deadline = time.monotonic() + self.args.seconds
        while time.monotonic() < deadline:
            time.sleep(min(10.0, max(0.0, deadline - time.monotonic())))
            with self.lock:
                ops = sum(self.ops.values())
                live = sum(1 for r in self.files.values() if r.state == "live")
            rss = self.rss[-1][1] // 1024 if self.rss else 0
            log(f"{ops} answers, {live} live files, RSS {rss} MiB, {self.tally.failed} failed checks so far")
        self.stop.set()
        for t in threads:
            t.join(timeout=300)
            self.tally.check(not t.is_alive(), "client threads finish", t.name)
        sampler.join(timeout=5)

    # ------------------------------------------------------------ after the load

    def rss_check(self) -> str:
        samples = [kib for _, kib in self.rss]
        if len(samples) < 3:
            self.tally.check(False, "enough RSS samples", f"{len(samples)} samples")
            return "too few samples"
        third = len(samples) // 3
        first, middle, last = samples[:third], samples[third : len(samples) - third], samples[len(samples) - third :]
        growth = max(last) - max(first)
        self.tally.check(
            growth <= self.args.rss_growth_mib * 1024,
            f"RSS: last third's max within {self.args.rss_growth_mib} MiB of the first third's max",
            f"first-third max {max(first) // 1024} MiB, last-third max {max(last) // 1024} MiB",
        )

        def mib(xs: list[int]) -> str:
            return f"min {min(xs) // 1024} / max {max(xs) // 1024} MiB"

        return (
            f"{len(samples)} samples; first third {mib(first)}; middle {mib(middle) if middle else '-'}; last third {mib(last)}; "
            f"growth of max {growth / 1024:+.1f} MiB (bound {self.args.rss_growth_mib} MiB)"
        )

    def final_checks(self) -> dict[str, int]:
        tally = self.tally
        counts = {"verified": 0}
        with self.lock:
            live = {r.id: r for r in self.files.values() if r.state == "live"}
            deleted = {r.id for r in self.files.values() if r.state == "deleted"}
        client = httpx2.Client(base_url=self.server.root_url, headers=AUTH, timeout=120.0)
        try:
            listed, problems = walk_files(client, limit=1000, order="asc")
            tally.check(not problems, "final list walk is clean", "; ".join(problems[:5]))
            ids = {f["id"] for f in listed}
            tally.check(ids == set(live), "listed files are exactly the live ones", f"missing {sorted(set(live) - ids)[:5]}, extra {sorted(ids - set(live))[:5]}")
            tally.check(not (ids & deleted), "no deleted file is listed", str(sorted(ids & deleted)[:5]))

            def verify(rec: Rec) -> None:
                if rec.purpose in NOT_DOWNLOADABLE:
                    r = client.get(f"/v1/files/{rec.id}")
                    tally.check(r.status_code == 200 and r.json()["bytes"] == rec.size, f"final: {rec.purpose} file retrievable", f"{rec.id}: {r.status_code}")
                    r = client.get(f"/v1/files/{rec.id}/content")
                    tally.check(refused_download(r, rec.purpose), f"final: content of purpose={rec.purpose} refused with 400", f"{rec.id}: {r.status_code} {r.text[:200]}")
                    return
                h = hashlib.sha256()
                n = 0
                with client.stream("GET", f"/v1/files/{rec.id}/content") as r:
                    for chunk in r.iter_bytes(MiB):
                        h.update(chunk)
                        n += len(chunk)
                tally.check(
                    r.status_code == 200 and n == rec.size and h.hexdigest() == rec.sha,
                    "final: content byte-exact",
                    f"{rec.id}: {r.status_code} {n} B vs {rec.size} B",
                )

            with ThreadPoolExecutor(max_workers=4) as pool:
                list(pool.map(verify, live.values()))
            counts["verified"] = len(live)
            tally.check(db_file_ids(self.server.data_dir) == set(live), "database rows are exactly the live files", "")
        finally:
            client.close()
        return counts


def percentile(xs: list[float], p: float) -> float:
    if not xs:
        return 0.0
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="load duration (default 60; CI uses 10)")
    parser.add_argument("--threads", type=int, default=64, help="client threads (default 64)")
    parser.add_argument("--medium-max-kib", type=int, default=2048, help="largest medium upload in KiB (default 2048)")
    parser.add_argument("--rss-growth-mib", type=int, default=64, help="allowed growth of max RSS, last third vs first third (default 64)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the temp data dir")
    args = parser.parse_args()
    if args.seed is None:
        args.seed = int(time.time()) % 1_000_000

    work = Path(tempfile.mkdtemp(prefix="mockfiles-soak-"))
    server = work_server(work)
    tally = Tally()
    soak = Soak(args, server, tally)
    log(f"soak: seed {args.seed}, {args.threads} threads for {args.seconds:.0f}s, data dir {server.data_dir}, binary {server.binary}")
    rss_summary = "n/a"
    counts: dict[str, int] = {}
    started = time.monotonic()
    try:
        server.spawn()
        soak.run()
        rss_summary = soak.rss_check()
        counts = soak.final_checks()
        state, _ = wait_disk_clean(server.data_dir, 30.0)
        tally.check(not state.orphans, "no orphan blob", f"{len(state.orphans)}: {state.orphans[:5]}")
        tally.check(not state.temps, "no temp file", f"{len(state.temps)}: {state.temps[:5]}")
        tally.check(not state.missing_blobs, "every row has its blob", f"{state.missing_blobs[:5]}")
        result = integrity_check(server.data_dir)
        tally.check(result == "ok", "PRAGMA integrity_check is ok", result[:300])
        check_clean_stop(tally, server)
        log_text = server.stderr_path.read_text(errors="replace") + server.stdout_path.read_text(errors="replace")
        locked = log_text.lower().count(LOCKED)
        tally.check(locked == 0, "server log never mentions 'database is locked'", f"{locked} mentions")
    except Exception as e:  # noqa: BLE001
        tally.check(False, "run completes", repr(e))
        soak.stop.set()
        server.stop()
    elapsed = time.monotonic() - started
    with soak.lock:
        files = list(soak.files.values())
    print()
    print("summary")
    print(f"  seed              {args.seed}")
    print(f"  elapsed           {elapsed:.1f} s (load {args.seconds:.0f} s, {args.threads} threads)")
    print(f"  answers           {sum(soak.ops.values())} ({sum(soak.ops.values()) / max(1.0, args.seconds):.0f}/s); by status {dict(sorted(soak.statuses.items()))}")
    for op, n in sorted(soak.ops.items()):
        lat = soak.latencies.get(op, [])
        if not lat:
            print(f"    {op:<17} {n:>7}")
            continue
        print(f"    {op:<17} {n:>7}  p50 {percentile(lat, 0.5) * 1000:7.1f} ms  p99 {percentile(lat, 0.99) * 1000:7.1f} ms  max {max(lat, default=0) * 1000:7.1f} ms")
    print(f"  list walks        {soak.walks['partial']} partial, {soak.walks['full']} full")
    print(f"  files uploaded    {len(files)} ({soak.bytes_up / MiB:.0f} MiB); deleted {sum(1 for r in files if r.state == 'deleted')}; live at end {sum(1 for r in files if r.state == 'live')}")
    print(f"  content read      {soak.bytes_down / MiB:.0f} MiB during the load; {counts.get('verified', 0)} live files verified at the end")
    print(f"  RSS (VmRSS)       {rss_summary}")
    tally.finish(work, keep=args.keep)


if __name__ == "__main__":
    main()
