"""SIGTERM under load ends the process in time, answers what it took, and keeps what it acknowledged.

Each cycle starts the server (with --shared, two instances on one PostgreSQL database and one S3 key prefix,
each client's requests alternating between them) and loads it from keep-alive clients: file GETs, pages of 1,
5 and 20, GETs of a missing file and 10-byte uploads, while an admin thread moves the clock and adds and clears
fault rules (a 500 for a path nobody asks for, a 50 ms delay on the list): each change is one the other
instance learns through the database, which sends its next reads down another path. Then every instance gets
SIGTERM: during the load in odd cycles; after it in even ones, with the clients' connections left open, as a
test's pooled clients leave them. Checked: every instance exits 0 within 10 s (`docker stop` kills at 10);
no answer is a 5xx, before the signal or after; every upload answered 200 is there, byte for byte, when the
server comes back for the next cycle. Requests cut off by the shutdown (refused, or closed unanswered) are
counted, not failed: a graceful stop answers what it took and closes the rest. With --shared, PostgreSQL and
S3 come from MOCKFILES_TEST_DATABASE_URL, MOCKFILES_TEST_S3_ENDPOINT and the AWS_* credentials (as
crash_kill.py --shared); without them the run is skipped, unless MOCKFILES_REQUIRE_SHARED_BACKENDS=1.
"""

from __future__ import annotations

import argparse
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import AUTH, BINARY_WAIT, log  # noqa: E402
from crash_kill_shared import backends, drop_shared_storage, new_shared_storage  # noqa: E402
from mockfiles_kit import Server, Tally  # noqa: E402

EXIT_WITHIN = 10.0


class Load:
    """Client threads on the servers until `stop`; what they saw, for the checks."""

    def __init__(self, servers: list[Server], known: list[str], tally: Tally, seed: int) -> None:
        self.servers, self.known, self.tally, self.seed = servers, known, tally, seed
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked: dict[str, bytes] = {}  # file id -> the bytes sent
        self.answers = self.cut_off = 0
        self.threads: list[threading.Thread] = []
        self.clients: list[httpx2.Client] = []  # left open until the checks are done

    def start(self, clients: int) -> None:
        for n in range(clients):
            self.threads.append(threading.Thread(target=self.client, args=(n,), daemon=True, name=f"client-{n}"))
        self.threads.append(threading.Thread(target=self.admin, daemon=True, name="admin"))
        for t in self.threads:
            t.start()

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=60)
            self.tally.check(not t.is_alive(), "client threads finish", t.name)

    def client(self, n: int) -> None:
        rng = random.Random(self.seed * 1000 + n)
        pool = [httpx2.Client(base_url=s.root_url, headers=AUTH, timeout=30.0) for s in self.servers]
        with self.lock:
            self.clients += pool
        turn = n
        while not self.stop.is_set():
            turn += 1
            http, draw = pool[turn % len(pool)], rng.random()
            try:
                if draw < 0.4:
                    method, path, r = "GET", "/v1/files/{id}", http.get(f"/v1/files/{rng.choice(self.known)}")
                elif draw < 0.7:
                    method, path, r = "GET", "/v1/files", http.get("/v1/files", params={"limit": rng.choice((1, 5, 20))})
                elif draw < 0.8:
                    method, path, r = "GET", "/v1/files/file-missing", http.get("/v1/files/file-missing")
                else:
                    data = rng.randbytes(10)
                    method, path, r = "POST", "/v1/files", http.post("/v1/files", files={"file": ("s.bin", data)}, data={"purpose": "vision"})
                    if r.status_code == 200:
                        with self.lock:
                            self.acked[r.json()["id"]] = data
            except httpx2.TransportError:
                with self.lock:
                    self.cut_off += 1
                continue
            with self.lock:
                self.answers += 1
            self.tally.check(r.status_code < 500, "no 5xx answer", f"{method} {path}: {r.status_code} {r.text[:300]}")

    def admin(self) -> None:
        rng = random.Random(self.seed)
        pool = [httpx2.Client(base_url=s.root_url, timeout=30.0) for s in self.servers]
        with self.lock:
            self.clients += pool
        changes = (
            lambda a: a.post("/admin/clock", json={"advance_seconds": rng.randint(1, 60)}),
            lambda a: a.post("/admin/faults", json={"method": "DELETE", "path": "/v1/uploads/upload_never", "status": 500}),
            lambda a: a.post("/admin/faults", json={"method": "GET", "path": "/v1/files", "delay_ms": 50, "times": 2}),
            lambda a: a.delete("/admin/faults"),
            lambda a: a.delete("/admin/faults"),
        )
        while not self.stop.wait(rng.uniform(0.02, 0.1)):
            try:
                rng.choice(changes)(rng.choice(pool))
            except httpx2.TransportError:
                pass

    def close(self) -> None:
        for c in self.clients:
            c.close()


def seed_files(server: Server, count: int) -> list[str]:
    with httpx2.Client(base_url=server.root_url, headers=AUTH, timeout=30.0) as http:
        return [http.post("/v1/files", files={"file": (f"k{n}.txt", b"k")}, data={"purpose": "user_data"}).json()["id"] for n in range(count)]


def check_acknowledged(server: Server, acked: dict[str, bytes], tally: Tally) -> None:
    """Every upload answered 200, through the restarted server: its content is the bytes sent."""
    with httpx2.Client(base_url=server.root_url, headers=AUTH, timeout=30.0) as http:
        for file_id, data in acked.items():
            r = http.get(f"/v1/files/{file_id}/content")
            tally.check(r.status_code == 200 and r.content == data, "acknowledged upload kept across the stop",
                        f"{file_id}: {r.status_code} {r.content[:50]!r}, sent {data!r}")


def stop_all(servers: list[Server], tally: Tally) -> None:
    """SIGTERM to every instance at once; each must exit 0 within EXIT_WITHIN of it."""
    signalled = time.monotonic()
    for s in servers:
        if s.running():
            s.process.send_signal(signal.SIGTERM)
    for s in servers:
        if s.process is None:
            continue
        try:
            code = s.process.wait(timeout=max(0.0, signalled + EXIT_WITHIN - time.monotonic()))
        except subprocess.TimeoutExpired:
            s.kill()
            code = None
        took = time.monotonic() - signalled
        tally.check(code == 0, f"instance exits 0 within {EXIT_WITHIN:.0f} s of SIGTERM", f":{s.port}: exit {code} after {took:.1f} s\n{s.output()}")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="shutdown_under_load.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", action="store_true", help="two instances on PostgreSQL + S3")
    parser.add_argument("--cycles", type=int, default=4, help="stops, alternating during and after the load (default 4)")
    parser.add_argument("--seconds", type=float, default=3.0, help="load before each stop (default 3)")
    parser.add_argument("--clients", type=int, default=12, help="keep-alive client threads (default 12)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the work dir (and with --shared the database)")
    args = parser.parse_args(argv)
    args.seed = int(time.time()) % 1_000_000 if args.seed is None else args.seed
    work = Path(tempfile.mkdtemp(prefix="mockfiles-shutdown-"))
    flags: list[str] = []
    found = backends() if args.shared else None
    if args.shared:
        if found is None:
            sys.exit(0)
        name, flags = new_shared_storage("mockfiles_sd", found)
    count = 2 if args.shared else 1
    servers = [Server(work / ("data" if not args.shared else f"data{i}"), work / f"logs{i}", flags, binary_wait=BINARY_WAIT) for i in range(count)]
    tally = Tally()
    log(f"shutdown_under_load{' --shared' if args.shared else ''}: seed {args.seed}, {args.cycles} cycles of {args.seconds} s, work dir {work}")
    acked: dict[str, bytes] = {}
    try:
        for s in servers:
            s.spawn(attempts=3)
        known = seed_files(servers[0], 10)
        for cycle in range(1, args.cycles + 1):
            if cycle > 1:
                for s in servers:
                    s.spawn(attempts=3)
                check_acknowledged(servers[cycle % count], acked, tally)
            load = Load(servers, known, tally, args.seed + cycle)
            load.start(args.clients)
            time.sleep(args.seconds)
            during = cycle % 2 == 1
            if not during:
                load.finish()
            stop_all(servers, tally)
            if during:
                load.finish()
            # A server that answered nothing, or took no upload, would pass every check above.
            tally.check(load.answers > 0 and len(load.acked) > 0, "the load is answered before the stop",
                        f"cycle {cycle}: {load.answers} answers, {len(load.acked)} uploads acknowledged")
            acked.update(load.acked)
            load.close()
            log(f"cycle {cycle}/{args.cycles}: SIGTERM {'during' if during else 'after'} the load; {load.answers} answers, "
                f"{load.cut_off} cut off by the stop, {len(acked)} uploads acknowledged so far")
        for s in servers:
            s.spawn(attempts=3)
        check_acknowledged(servers[0], acked, tally)
        stop_all(servers, tally)
    except Exception as e:  # noqa: BLE001
        tally.check(False, "run completes", repr(e))
    finally:
        for s in servers:
            if s.running():
                s.kill()
    if found is not None and not (tally.failed or args.keep):
        drop_shared_storage(found, name)
    tally.finish(work, args.keep)


if __name__ == "__main__":
    main(sys.argv[1:])
