"""crash_kill.py --shared: kill -9 one of two instances on one PostgreSQL database and one S3 bucket under load,
restart it, and prove that nothing acknowledged is lost or corrupted.

A fresh database and key prefix per run; two `mockfiles serve` share them. Uploader threads send files of random
sizes (most small, some over 8 MiB, which go through S3 multipart staging) and Upload threads build files through
the Uploads API (create, 1-3 parts, complete), each request to the instances alternately; a request the killed
instance cannot take is sent to the other one, and one whose answer is lost is not acknowledged. Each cycle kills
one instance (alternating) at a random moment, keeps the load on the survivor, and restarts it on the same port.
At the end, through BOTH instances: every acknowledged file answers 200, is listed exactly once (pages of 100), and
its content has the sha256 sent. Needs MOCKFILES_TEST_DATABASE_URL, MOCKFILES_TEST_S3_ENDPOINT (and the AWS_*
credentials); without them the run is skipped, unless MOCKFILES_REQUIRE_SHARED_BACKENDS=1 makes that a failure.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import AUTH, BINARY_WAIT, log, walk_files  # noqa: E402
from mockfiles_kit import Server, Tally  # noqa: E402

MiB = 1 << 20
PURPOSE = "vision"  # downloadable by default
UPLOAD_MIME = "image/png"  # an Upload of purpose vision must declare an image type
STAGING = 8 * MiB  # larger bodies are staged in S3 with a multipart upload


def backends() -> tuple[str, str, str] | None:
    """(database URL, S3 endpoint, bucket), or None after printing why the run is skipped; exits 1 when required."""
    env = os.environ
    missing = [k for k in ("MOCKFILES_TEST_DATABASE_URL", "MOCKFILES_TEST_S3_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY") if not env.get(k)]
    if not missing:
        return env["MOCKFILES_TEST_DATABASE_URL"], env["MOCKFILES_TEST_S3_ENDPOINT"], env.get("MOCKFILES_TEST_S3_BUCKET", "mockfiles-test")
    if env.get("MOCKFILES_REQUIRE_SHARED_BACKENDS") == "1":
        print(f"crash_kill --shared: FAILED: {', '.join(missing)} not set, and MOCKFILES_REQUIRE_SHARED_BACKENDS=1")
        print("\n0 passed, 1 failed", flush=True)
        sys.exit(1)
    print(f"crash_kill --shared: skipped: needs PostgreSQL and S3 ({', '.join(missing)} not set; scripts/test starts both)")
    return None


def admin_sql(url: str, statement: str) -> None:
    subprocess.run(["psql", url, "-qc", statement], check=True, capture_output=True, timeout=60)


def new_shared_storage(prefix: str, found: tuple[str, str, str]) -> tuple[str, list[str]]:
    """A fresh database on the test PostgreSQL and the same name as a key prefix in the test bucket:
    (that name, the `serve` flags naming both). `drop_shared_storage` removes the database."""
    admin_url, endpoint, bucket = found
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin_sql(admin_url, f"CREATE DATABASE {name}")
    db_url = urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    return name, ["--database-url", db_url, "--blob-url", f"s3://{bucket}/{name}", "--s3-endpoint", endpoint]


def drop_shared_storage(found: tuple[str, str, str], name: str) -> None:
    admin_sql(found[0], f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class SharedRun:
    def __init__(self, args: argparse.Namespace, servers: list[Server], tally: Tally) -> None:
        self.args, self.servers, self.tally = args, servers, tally
        self.lock = threading.Lock()
        self.acked: dict[str, tuple[str, int, str]] = {}  # file id -> (filename, size, sha256)
        self.attempts: dict[str, int] = {}  # filename -> 1 for every upload sent (in flight ones may exist)
        self.status: dict[str, int] = {}
        self.big_acked = self.upload_api_acked = self.parts_resent = self.parts_refused_after_resend = 0
        self.budget = 0  # bytes for big files left in this cycle: each cycle gets its share of --max-total-mib
        self.stop = threading.Event()

    def count(self, key: str, n: int = 1) -> None:
        with self.lock:
            self.status[key] = self.status.get(key, 0) + n

    def size(self, rng: random.Random) -> int:
        with self.lock:
            big = rng.random() < self.args.big_fraction and self.budget > 0
            n = rng.randint(STAGING + 1, self.args.max_file_bytes) if big else int(2 ** rng.uniform(0, 18))
            self.budget -= n
        return n

    def send(self, client: httpx2.Client, turn: int, method: str, path: str, **kw: object) -> httpx2.Response | None:
        """The request to instance `turn % 2`, or to the other one when that one is down (connection refused).
        None when neither answered or the answer was lost (the request may have taken effect: not acknowledged)."""
        for i in (turn, turn + 1):
            server = self.servers[i % 2]
            try:
                r = client.request(method, server.root_url + path, **kw)
            except httpx2.ConnectError:
                self.count("refused")
                continue
            except httpx2.TransportError:
                self.count("answer lost")
                return None
            segs = path.split("/")
            self.count(f"{segs[2] if len(segs) <= 3 else segs[2] + '/' + segs[-1]} {r.status_code}")
            self.tally.check(r.status_code < 500, "no 5xx answer", f"{method} {path} on :{server.port}: {r.status_code} {r.text[:300]}")
            return r
        time.sleep(0.05)
        return None

    def ack(self, fid: str, name: str, data: bytes, via_uploads: bool) -> None:
        with self.lock:
            self.acked[fid] = (name, len(data), hashlib.sha256(data).hexdigest())
            self.big_acked += len(data) > STAGING
            self.upload_api_acked += via_uploads

    def uploader(self, index: int) -> None:
        rng = random.Random(self.args.seed * 1000 + index)
        with httpx2.Client(headers=AUTH, timeout=httpx2.Timeout(120.0, connect=5.0)) as client:
            for n in range(10**9):
                if self.stop.is_set():
                    return
                data = rng.randbytes(self.size(rng))
                name = f"cks-{index:02d}-{n:06d}.bin"
                with self.lock:
                    self.attempts[name] = 1
                r = self.send(client, index + n, "POST", "/v1/files", data={"purpose": PURPOSE}, files={"file": (name, data, "application/octet-stream")})
                if r is None or r.status_code != 200:
                    self.tally.check(r is None, "upload answered 200", f"{name}: {r and r.status_code} {r and r.text[:300]}")
                    continue
                body = r.json()
                ok = body.get("bytes") == len(data) and body.get("filename") == name
                if self.tally.check(ok, "upload answer matches what was sent", f"{name} {len(data)} B: {body}"):
                    self.ack(body["id"], name, data, False)

    def upload_builder(self, index: int) -> None:
        rng = random.Random(self.args.seed * 1000 + 500 + index)
        with httpx2.Client(headers=AUTH, timeout=httpx2.Timeout(120.0, connect=5.0)) as client:
            for n in range(10**9):
                if self.stop.is_set():
                    return
                data = rng.randbytes(self.size(rng))
                cuts = sorted(rng.sample(range(1, len(data)), min(rng.randint(0, 2), len(data) - 1))) if len(data) > 1 else []
                chunks = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]
                name = f"cks-up-{index:02d}-{n:06d}.bin"
                turn = index + n
                r = self.send(client, turn, "POST", "/v1/uploads", json={"filename": name, "purpose": PURPOSE, "bytes": len(data), "mime_type": UPLOAD_MIME})
                if r is None or not self.tally.check(r.status_code == 200, "POST /v1/uploads answers 200", f"{r.status_code} {r.text[:300]}"):
                    continue
                upload_id, part_ids = r.json()["id"], []
                for chunk in chunks:  # a part whose answer was lost is sent again (as a new part) until one is acked
                    resent = False
                    while not self.stop.is_set():
                        turn += 1
                        r = self.send(client, turn, "POST", f"/v1/uploads/{upload_id}/parts", files={"data": ("blob", chunk, "application/octet-stream")})
                        if r is not None:
                            # A part whose answer was lost may have been stored: then the copy sent
                            # again would take the Upload past its bytes, and must be refused.
                            if resent and r.status_code == 400 and "Cannot add a Part of" in r.text:
                                with self.lock:
                                    self.parts_refused_after_resend += 1
                            elif self.tally.check(r.status_code == 200, "an acked Upload takes parts on either instance", f"{upload_id}: {r.status_code} {r.text[:300]}"):
                                part_ids.append(r.json()["id"])
                            break
                        resent = True
                        with self.lock:
                            self.parts_resent += 1
                if len(part_ids) != len(chunks):
                    continue
                with self.lock:
                    self.attempts[name] = 1
                r = self.send(client, turn + 1, "POST", f"/v1/uploads/{upload_id}/complete", json={"part_ids": part_ids, "md5": hashlib.md5(data).hexdigest()})
                if r is None:
                    continue
                body = r.json()
                f = body.get("file") or {}
                ok = r.status_code == 200 and body.get("status") == "completed" and f.get("bytes") == len(data) and f.get("filename") == name
                if self.tally.check(ok, "complete answers 200 with the File", f"{upload_id} ({len(data)} B, {len(chunks)} parts): {r.status_code} {r.text[:300]}"):
                    self.ack(f["id"], name, data, True)

    def drive(self) -> dict[str, float]:
        args, rng = self.args, random.Random(self.args.seed)
        stats = {"kills": 0, "max_restart_s": 0.0}
        for s in self.servers:
            s.spawn(attempts=3)
        threads = [threading.Thread(target=self.uploader, args=(i,), daemon=True, name=f"uploader-{i}") for i in range(args.uploaders)]
        threads += [threading.Thread(target=self.upload_builder, args=(i,), daemon=True, name=f"uploads-{i}") for i in range(args.upload_api_threads)]
        for t in threads:
            t.start()
        for cycle in range(1, args.cycles + 1):
            with self.lock:
                self.budget = args.max_total_mib * MiB // max(1, args.cycles)
            time.sleep(rng.uniform(min(1.0, args.seconds_per_cycle / 4), args.seconds_per_cycle))
            victim = self.servers[cycle % 2]
            victim.kill()
            stats["kills"] += 1
            log(f"cycle {cycle}/{args.cycles}: killed instance :{victim.port}; {len(self.acked)} acked so far")
            time.sleep(rng.uniform(0.3, 1.5))  # the survivor carries the load alone
            try:
                took = victim.spawn(attempts=3)
            except RuntimeError as e:
                self.tally.check(False, "instance restarts after kill -9", str(e))
                raise
            stats["max_restart_s"] = max(stats["max_restart_s"], took)
            self.tally.check(True, "instance restarts after kill -9")
        time.sleep(min(1.0, args.seconds_per_cycle / 4))  # some load on both again
        self.stop.set()
        for t in threads:
            t.join(timeout=180)
            self.tally.check(not t.is_alive(), "worker threads finish", t.name)
        return stats

    def verify(self) -> dict[str, int]:
        """Every acknowledged file through both instances: listed once, retrieved 200, content byte-exact."""
        tally, lost, corrupt, unacked = self.tally, set(), set(), set()
        for server in self.servers:
            with httpx2.Client(base_url=server.root_url, headers=AUTH, timeout=120.0) as client:
                files, problems = walk_files(client, limit=100, order="asc")
                tally.check(not problems, "list walk (limit 100) is clean: no duplicate", f":{server.port}: {'; '.join(problems[:5])}")
                listed: dict[str, int] = {}
                for f in files:
                    listed[f["id"]] = listed.get(f["id"], 0) + 1
                    known = f["id"] in self.acked or f["filename"] in self.attempts
                    tally.check(known, "every listed file is one the clients sent", f":{server.port}: {f}")
                    if f["id"] not in self.acked:
                        unacked.add(f["id"])  # its answer was lost at a kill: it may or may not exist

                def check(item: tuple[str, tuple[str, int, str]]) -> None:
                    fid, (name, size, sha) = item
                    where = f"{fid} ({name}, {size} B) on :{server.port}"
                    if not tally.check(listed.get(fid) == 1, "acknowledged file listed exactly once", f"{where}: listed {listed.get(fid, 0)} times"):
                        lost.add(fid)
                    r = client.get(f"/v1/files/{fid}")
                    if not tally.check(r.status_code == 200, "acknowledged file retrieved (200)", f"{where}: {r.status_code} {r.text[:200]}"):
                        lost.add(fid)
                    elif not tally.check(r.json().get("bytes") == size and r.json().get("filename") == name, "retrieved metadata matches", f"{where}: {r.text[:300]}"):
                        corrupt.add(fid)
                    h, n = hashlib.sha256(), 0
                    with client.stream("GET", f"/v1/files/{fid}/content") as c:
                        if not tally.check(c.status_code == 200, "acknowledged content downloads (200)", f"{where}: {c.status_code}"):
                            lost.add(fid)
                            return
                        for chunk in c.iter_bytes(1 << 20):
                            h.update(chunk)
                            n += len(chunk)
                    if not tally.check(n == size and h.hexdigest() == sha, "content sha256 matches what was sent", f"{where}: got {n} B sha {h.hexdigest()[:16]}, sent {sha[:16]}"):
                        corrupt.add(fid)

                with ThreadPoolExecutor(max_workers=4) as pool:
                    list(pool.map(check, sorted(self.acked.items())))
        return {"acknowledged": len(self.acked), "lost": len(lost), "corrupt": len(corrupt - lost), "unacked_listed": len(unacked)}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="crash_kill.py --shared", description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", action="store_true", help="this mode (two instances on PostgreSQL + S3)")
    parser.add_argument("--cycles", type=int, default=3, help="kills, alternating between the instances (default 3)")
    parser.add_argument("--seconds-per-cycle", type=float, default=3.0, help="longest uptime before a kill: uniform(min(1, S/4), S) s (default 3)")
    parser.add_argument("--uploaders", type=int, default=12, help="threads on POST /v1/files (default 12)")
    parser.add_argument("--upload-api-threads", type=int, default=3, help="threads on the Uploads API (default 3)")
    parser.add_argument("--big-fraction", type=float, default=0.08, help="share of files over 8 MiB (default 0.08)")
    parser.add_argument("--max-file-bytes", type=int, default=20 * MiB, help="largest file (default 20 MiB)")
    parser.add_argument("--max-total-mib", type=int, default=1024, help="bytes budget of the run, shared out per cycle; past a cycle's share, no more big files (default 1024)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the work dir, the database and its key prefix")
    args = parser.parse_args(argv)
    args.seed = int(time.time()) % 1_000_000 if args.seed is None else args.seed
    found = backends()
    if found is None:
        sys.exit(0)
    name, flags = new_shared_storage("mockfiles_ck", found)
    work = Path(tempfile.mkdtemp(prefix="mockfiles-crash-shared-"))
    servers = [Server(work / f"data{i}", work / f"logs{i}", flags, binary_wait=BINARY_WAIT) for i in (1, 2)]
    tally = Tally()
    log(f"crash_kill --shared: seed {args.seed}, {args.cycles} cycles, database and key prefix {name}, work dir {work}")
    run = SharedRun(args, servers, tally)
    started = time.monotonic()
    stats: dict[str, float] = {}
    counts = {"acknowledged": len(run.acked), "lost": -1, "corrupt": -1}
    try:
        stats = run.drive()
        counts = run.verify()
        tally.check(counts["lost"] == 0, "lost == 0", str(counts))
        tally.check(counts["corrupt"] == 0, "corrupt == 0", str(counts))
        for s in servers:
            code = s.stop()
            tally.check(code == 0, "instance exits 0 on SIGTERM", f":{s.port}: exit {code}\n{s.output()}")
    except Exception as e:  # noqa: BLE001
        tally.check(False, "run completes", repr(e))
    finally:
        run.stop.set()
        for s in servers:
            s.stop()
    if not (tally.failed or args.keep):
        drop_shared_storage(found, name)
    print("\nsummary")
    print(f"  seed                 {args.seed}")
    print(f"  elapsed              {time.monotonic() - started:.1f} s")
    print(f"  kills (SIGKILL)      {stats.get('kills', 0)} (slowest restart to /health: {stats.get('max_restart_s', 0.0):.2f} s)")
    print(f"  upload attempts      {len(run.attempts)}; answers lost at a kill {run.status.get('answer lost', 0)}, refused while down {run.status.get('refused', 0)}, parts resent {run.parts_resent} (refused as over the Upload's bytes: {run.parts_refused_after_resend})")
    print(f"  acknowledged         {counts['acknowledged']} ({run.big_acked} over 8 MiB, {run.upload_api_acked} through the Uploads API)")
    print(f"  lost                 {counts['lost']}")
    print(f"  corrupt              {counts['corrupt']}")
    print(f"  listed, not acked    {counts.get('unacked_listed', 0)} (answer lost at a kill, the upload done)")
    print(f"  answers              {dict(sorted(run.status.items()))}")
    tally.finish(work, keep=args.keep)
