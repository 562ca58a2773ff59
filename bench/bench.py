#!/usr/bin/env python3
"""The mockfiles benchmark. Run it through `bench/run` (which builds the server and installs the
references); see bench/README.md for what each row measures.

Standard library only. Every figure, reference, ratio and target goes to the JSON file; the markdown
table goes to stdout. Exit status: 0 when every row could be measured (targets missed or not), 1 when
something broke (a server error, a non-2xx answer, wrong bytes, a process that would not start).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse
from pathlib import Path

MiB = 1024 * 1024
GiB = 1024 * MiB
API_KEY = "sk-bench"
AUTH = f"Bearer {API_KEY}"
ROOT = Path(__file__).resolve().parent.parent

SIZES = {
    "quick": dict(
        list_files=10_000, flat_small=1_000, flat_large=10_000, big_bytes=64 * MiB,
        wrk_seconds=2, wrk_warmup_seconds=1, latency_samples=100, transfer_runs=3,
        startup_runs=3, small_upload_seconds=2,
    ),
    "full": dict(
        list_files=100_000, flat_small=10_000, flat_large=1_000_000, big_bytes=1 * GiB,
        wrk_seconds=10, wrk_warmup_seconds=2, latency_samples=200, transfer_runs=3,
        startup_runs=5, small_upload_seconds=10,
    ),
}
WRK_CONNECTIONS = 32
WRK_THREADS = 2
SMALL_UPLOAD_CLIENTS = 16
SMALL_UPLOAD_BYTES = 1024
SEED_PURPOSES = ["user_data", "batch"]
FILTER_PURPOSE = "batch"
PAGE_LIMIT = 100


class BenchError(Exception):
    """Something broke: the run exits non-zero."""


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise BenchError(f"{' '.join(cmd)} exited {result.returncode}: {result.stderr.strip()[-2000:]}")
    return result


# ----------------------------------------------------------------------------------------------
# processes


def read_status_kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise BenchError(f"/proc/{pid}/status has no {field}")


def cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14 and 15 of stat)


class RSSMonitor:
    """Samples VmRSS every 20 ms; peak growth = max(sampled peak, VmHWM if it rose) - VmRSS before."""

    def __init__(self, pid: int):
        self.pid = pid
        self.before_rss = read_status_kib(pid, "VmRSS")
        self.before_hwm = read_status_kib(pid, "VmHWM")
        self.peak = self.before_rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, read_status_kib(self.pid, "VmRSS"))
            except (OSError, BenchError):
                return
            time.sleep(0.02)

    def __enter__(self):
        self._ticks = cpu_ticks(self.pid)
        self._t0 = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        elapsed = time.monotonic() - self._t0
        self.cpu_percent = round((cpu_ticks(self.pid) - self._ticks) / os.sysconf("SC_CLK_TCK") / elapsed * 100) if elapsed else None
        after_hwm = read_status_kib(self.pid, "VmHWM")
        self.after_rss = read_status_kib(self.pid, "VmRSS")
        if after_hwm > self.before_hwm:
            self.peak = max(self.peak, after_hwm)
        self.growth_mib = (self.peak - self.before_rss) / 1024
        return False

    def summary(self) -> dict:
        return dict(rss_before_mib=round(self.before_rss / 1024, 1), rss_peak_mib=round(self.peak / 1024, 1),
                    rss_after_mib=round(self.after_rss / 1024, 1), rss_growth_mib=round(self.growth_mib, 1),
                    server_cpu_percent=self.cpu_percent)


def wait_idle(pid: int, timeout: float = 600, interval: float = 0.5, quiet_ticks: int = 2) -> float:
    """Waits until the process burns (almost) no CPU for two intervals (start-up recovery done)."""
    started = time.monotonic()
    last = cpu_ticks(pid)
    calm = 0
    while time.monotonic() - started < timeout:
        time.sleep(interval)
        now = cpu_ticks(pid)
        calm = calm + 1 if now - last <= quiet_ticks else 0
        last = now
        if calm >= 2:
            return time.monotonic() - started
    raise BenchError(f"process {pid} still busy after {timeout} s")


def http_health(port: int) -> int | None:
    """Raw GET /health: the status code, or None when nothing listens yet."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            data = b""
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            parts = data.split(b" ", 2)
            return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else -1
    except (ConnectionRefusedError, ConnectionResetError, socket.timeout, OSError):
        return None


class Server:
    binary_mtimes: set = set()  # a rebuild during a run shows as a second mtime
    def __init__(self, binary: str, data_dir: Path, log_dir: Path, name: str, extra: list[str] | None = None):
        self.binary, self.data_dir, self.name = binary, data_dir, name
        self.extra = extra or []
        self.log_path = log_dir / f"server-{name}.log"
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.starts = 0

    def start(self, timeout: float = 120) -> float:
        """Starts the server; returns seconds from spawn to the first 200 on /health."""
        self.port = free_port()
        cmd = [self.binary, "serve", "--host", "127.0.0.1", "--port", str(self.port),
               "--data-dir", str(self.data_dir), "--log-level", "warning", *self.extra]
        logf = open(self.log_path, "a")
        self.starts += 1
        logf.write(f"--- start {self.starts}: {' '.join(cmd)}\n")
        logf.flush()
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        logf.close()
        Server.binary_mtimes.add(os.stat(self.binary).st_mtime)
        while True:
            status = http_health(self.port)
            elapsed = time.perf_counter() - t0
            if status == 200:
                return elapsed
            if self.proc.poll() is not None:
                raise BenchError(f"mockfiles ({self.name}) exited {self.proc.returncode} during start-up; see {self.log_path}")
            if elapsed > timeout:
                raise BenchError(f"mockfiles ({self.name}) not ready after {timeout} s (last /health: {status})")
            time.sleep(0.001 if status is None else 0.005)

    @property
    def pid(self) -> int:
        assert self.proc
        return self.proc.pid

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 60) -> float:
        if not self.proc or self.proc.poll() is not None:
            code = self.proc.returncode if self.proc else 0
            self.proc = None
            if code not in (0, None):
                raise BenchError(f"mockfiles ({self.name}) had exited by itself with {code}")
            return 0.0
        t0 = time.perf_counter()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
            raise BenchError(f"mockfiles ({self.name}) did not stop within {timeout} s of SIGTERM (killed)")
        self.proc = None
        if code != 0:
            raise BenchError(f"mockfiles ({self.name}) exited {code} after SIGTERM; see {self.log_path}")
        return time.perf_counter() - t0

    def log_problems(self) -> list[str]:
        if not self.log_path.exists():
            return []
        lines = self.log_path.read_text(errors="replace").splitlines()
        return [l for l in lines if re.search(r"\b(error|critical|fatal|panic)\b", l, re.I) or "Fatal error" in l][:50]


class Nginx:
    def __init__(self, work: Path):
        self.dir = work / "nginx"
        self.www = self.dir / "www"
        self.port = 0
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        self.www.mkdir(parents=True)
        self.port = free_port()
        user = "user root root;\n" if os.geteuid() == 0 else ""
        d = self.dir
        conf = f"""{user}worker_processes {os.cpu_count() or 2};
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 120s;
    keepalive_requests 100000000;
    types {{ application/json json; application/octet-stream bin; }}
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{self.port};
        root {self.www};
        location / {{ }}
    }}
}}
"""
        (d / "nginx.conf").write_text(conf)
        self.proc = subprocess.Popen(["nginx", "-p", str(d), "-c", str(d / "nginx.conf"), "-g", "daemon off;"],
                                     stdout=open(d / "stdout.log", "w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        (self.www / "ping").write_text("pong")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"nginx exited {self.proc.returncode}: {(d / 'stdout.log').read_text()[-1000:]} {(d / 'error.log').read_text()[-1000:] if (d / 'error.log').exists() else ''}")
            try:
                status, body, _ = get(self.base, "/ping", auth=False)
                if status == 200 and body == b"pong":
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise BenchError("nginx did not answer within 15 s")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def put(self, name: str, data: bytes) -> str:
        (self.www / name).write_bytes(data)
        return "/" + name

    def link(self, name: str, target: Path) -> str:
        path = self.www / name
        if path.exists() or path.is_symlink():
            path.unlink()
        path.symlink_to(target)
        return "/" + name

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


# ----------------------------------------------------------------------------------------------
# HTTP helpers


def get(base: str, path: str, auth: bool = True, conn: http.client.HTTPConnection | None = None):
    headers = {"Authorization": AUTH} if auth else {}
    own = conn is None
    if own:
        u = urllib.parse.urlparse(base)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    try:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, body, dict(resp.getheaders())
    finally:
        if own:
            conn.close()


def get_json(base: str, path: str, conn=None):
    status, body, _ = get(base, path, conn=conn)
    if status != 200:
        raise BenchError(f"GET {path}: expected 200, got {status}: {body[:300]!r}")
    return json.loads(body), body


def list_walk_position(base: str, position: int, purpose: str | None) -> dict:
    """The file at `position` (0-based) of the ascending list, walking with limit=10000 pages."""
    after = None
    seen = 0
    u = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=300)
    try:
        while True:
            q = {"limit": 10000, "order": "asc"}
            if purpose:
                q["purpose"] = purpose
            if after:
                q["after"] = after
            page, _ = get_json(base, "/v1/files?" + urllib.parse.urlencode(q), conn)
            data = page["data"]
            if not data:
                raise BenchError(f"list walk ended at {seen} files before position {position} (purpose={purpose})")
            if seen + len(data) > position:
                return data[position - seen]
            seen += len(data)
            if not page.get("has_more"):
                raise BenchError(f"list walk: has_more false at {seen} files, before position {position}")
            after = data[-1]["id"]
    finally:
        conn.close()


def count_files(base: str) -> int:
    after, total = None, 0
    u = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=300)
    try:
        while True:
            q = {"limit": 10000}
            if after:
                q["after"] = after
            page, _ = get_json(base, "/v1/files?" + urllib.parse.urlencode(q), conn)
            total += len(page["data"])
            if not page.get("has_more") or not page["data"]:
                return total
            after = page["data"][-1]["id"]
    finally:
        conn.close()


# ----------------------------------------------------------------------------------------------
# wrk


def wrk(url: str, seconds: float, connections: int = WRK_CONNECTIONS, threads: int = WRK_THREADS,
        script: Path | None = None) -> dict:
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
           "--latency", "-H", f"Authorization: {AUTH}"]
    if script:
        cmd += ["-s", str(script)]
    cmd.append(url)
    out = run(cmd).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+),\s*([\d.]+\w+) read", out)
    if not m or not total:
        raise BenchError(f"cannot parse wrk output:\n{out}")
    result = dict(requests_per_s=float(m.group(1)), requests=int(total.group(1)), read=total.group(4),
                  non_2xx=0, socket_errors={}, latency={}, raw=out)
    non = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if non:
        result["non_2xx"] = int(non.group(1))
    se = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if se:
        result["socket_errors"] = dict(zip(["connect", "read", "write", "timeout"], map(int, se.groups())))
    for pct, val, unit in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M):
        result["latency"][f"p{pct}_ms"] = float(val) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return result


def wrk_checked(label: str, url: str, seconds: float, warmup: float, pid: int | None = None, **kw) -> dict:
    if warmup:
        wrk(url, warmup, **kw)
    ticks = cpu_ticks(pid) if pid else 0
    t0 = time.monotonic()
    r = wrk(url, seconds, **kw)
    if pid:
        # CPU the server used during the run, in % of one CPU (200 % = both CPUs of a 2-CPU machine).
        r["server_cpu_percent"] = round((cpu_ticks(pid) - ticks) / os.sysconf("SC_CLK_TCK") / (time.monotonic() - t0) * 100)
    problems = []
    if r["non_2xx"]:
        problems.append(f"{r['non_2xx']} non-2xx answers")
    if any(r["socket_errors"].values()):
        problems.append(f"socket errors {r['socket_errors']}")
    if r["requests"] == 0:
        problems.append("no request completed")
    if problems:
        raise BenchError(f"wrk {label} ({url}): {', '.join(problems)}\n{r['raw']}")
    cpu = f", server CPU {r['server_cpu_percent']} %" if "server_cpu_percent" in r else ""
    log(f"  {label}: {r['requests_per_s']:.0f} req/s (p50 {r['latency'].get('p50_ms', 0):.2f} ms{cpu})")
    return r


# ----------------------------------------------------------------------------------------------
# the benchmark


class Bench:
    def __init__(self, args):
        self.args = args
        self.mode = "quick" if args.quick else "full"
        self.size = SIZES[self.mode]
        self.binary = args.bin
        self.ceiling_bin = args.ceiling_bin
        self.work = Path(args.work_dir).resolve()
        self.out = Path(args.out).resolve()
        self.logs = self.out.parent / "logs"
        self.rows: list[dict] = []
        self.errors: list[str] = []
        self.details: dict = {}
        self.servers: list[Server] = []
        self.nginx = Nginx(self.work)
        self.stores: dict[int, Path] = {}
        self.notes: list[str] = []

    # --- helpers ---------------------------------------------------------------------------

    def row(self, num, measure, unit, mine, ref, ref_name, target_op=None, target=None, target_text="",
            ratio=None, against="ratio", details=None):
        if ratio is None and mine is not None and ref:
            ratio = mine / ref
        met = None
        if target is not None and mine is not None:
            value = ratio if against == "ratio" else mine
            if value is not None:
                met = value >= target if target_op == ">=" else value <= target
        r = dict(row=num, measure=measure, unit=unit, mockfiles=mine, reference=ref, reference_name=ref_name,
                 ratio=ratio, target=target_text or None, target_value=target, target_op=target_op,
                 target_applies_to=against if target is not None else None, met=met, details=details or {})
        self.rows.append(r)
        return r

    def error_row(self, num, measure, error):
        self.rows.append(dict(row=num, measure=measure, unit=None, mockfiles=None, reference=None, reference_name=None,
                              ratio=None, target=None, met=None, error=str(error)))

    def server(self, data_dir: Path, name: str, extra=None) -> Server:
        s = Server(self.binary, data_dir, self.logs, name, extra)
        self.servers.append(s)
        return s

    def seed(self, count: int) -> Path:
        if count in self.stores:
            return self.stores[count]
        d = self.work / f"store-{count}"
        shutil.rmtree(d, ignore_errors=True)
        log(f"seeding {count} files into {d}")
        t0 = time.perf_counter()
        r = run([self.binary, "seed", "--data-dir", str(d), "--count", str(count), "--purposes",
                 ",".join(SEED_PURPOSES), "--bytes", "64", "--files-per-second", "1000", "--id-seed", str(count)])
        seconds = time.perf_counter() - t0
        self.details.setdefault("seeding", {})[str(count)] = dict(seconds=round(seconds, 2), output=r.stdout.strip())
        log(f"  {r.stdout.strip()} ({seconds:.1f} s wall)")
        self.stores[count] = d
        return d

    # --- rows 1 and 2 ----------------------------------------------------------------------

    def rows_1_2(self):
        n = self.size["list_files"]
        store = self.seed(n)
        srv = self.server(store, f"list-{n}")
        srv.start()
        settle = wait_idle(srv.pid)
        try:
            page, list_bytes = get_json(srv.base, "/v1/files?limit=20")
            if len(page["data"]) != 20:
                raise BenchError(f"GET /v1/files?limit=20 on {n} seeded files: expected 20 items, got {len(page['data'])}")
            file_id = page["data"][0]["id"]
            obj, file_bytes = get_json(srv.base, f"/v1/files/{file_id}")
            if obj.get("id") != file_id:
                raise BenchError(f"GET /v1/files/{file_id}: answered id {obj.get('id')}")
            # The references serve exactly these bytes; mockfiles must answer them again unchanged.
            file_url = self.nginx.put("file.json", file_bytes)
            list_url = self.nginx.put("list.json", list_bytes)
            for path, expected in ((f"/v1/files/{file_id}", file_bytes), ("/v1/files?limit=20", list_bytes)):
                if get(srv.base, path)[1] != expected:
                    raise BenchError(f"GET {path}: a second answer differs from the first")
                if get(self.nginx.base, "/" + ("file.json" if "/v1/files/" in path else "list.json"))[1] != expected:
                    raise BenchError("nginx does not serve the saved bytes")
            secs, warm = self.size["wrk_seconds"], self.size["wrk_warmup_seconds"]
            log(f"row 1: GET /v1/files/{{id}} ({len(file_bytes)} B), wrk -c{WRK_CONNECTIONS} -t{WRK_THREADS} {secs}s")
            rss = RSSMonitor(srv.pid)
            with rss:
                m1 = wrk_checked("mockfiles", srv.base + f"/v1/files/{file_id}", secs, warm, pid=srv.pid)
            n1 = wrk_checked("nginx", self.nginx.base + file_url, secs, warm)
            # Diagnostic: the server's HTTP stack alone (no auth, no database), and one connection.
            health = wrk_checked("mockfiles /health (diagnostic)", srv.base + "/health", secs, warm, pid=srv.pid)
            single = wrk_checked("mockfiles, 1 connection (diagnostic)", srv.base + f"/v1/files/{file_id}", secs, warm,
                                 pid=srv.pid, connections=1, threads=1)
            ceiling = self.ceiling_run(file_bytes, secs, warm, n1["requests_per_s"])
            self.row("1", "GET /v1/files/{id}, keep-alive, 32 connections", "req/s", m1["requests_per_s"],
                     n1["requests_per_s"], "nginx, same bytes as a static file", ">=", 0.40, "≥ 0.40 × nginx",
                     details=dict(body_bytes=len(file_bytes), mockfiles=strip_raw(m1), nginx=strip_raw(n1),
                                  diagnostic_health_32_connections=strip_raw(health), diagnostic_one_connection=strip_raw(single),
                                  diagnostic_bare_hummingbird=ceiling,
                                  server_rss=rss.summary(), files_stored=n))
            log(f"row 2: GET /v1/files?limit=20 with {n} files ({len(list_bytes)} B)")
            rss = RSSMonitor(srv.pid)
            with rss:
                m2 = wrk_checked("mockfiles", srv.base + "/v1/files?limit=20", secs, warm, pid=srv.pid)
            n2 = wrk_checked("nginx", self.nginx.base + list_url, secs, warm)
            self.row("2", f"GET /v1/files?limit=20, {n:,} files stored", "req/s", m2["requests_per_s"],
                     n2["requests_per_s"], "nginx, same bytes as a static file", ">=", 0.25, "≥ 0.25 × nginx",
                     details=dict(body_bytes=len(list_bytes), mockfiles=strip_raw(m2), nginx=strip_raw(n2),
                                  server_rss=rss.summary(), files_stored=n, settle_seconds=round(settle, 2)))
            for path, expected in ((f"/v1/files/{file_id}", file_bytes), ("/v1/files?limit=20", list_bytes)):
                status, body, _ = get(srv.base, path)
                if status != 200 or body != expected:
                    raise BenchError(f"GET {path} after the load: status {status}, bytes differ: {body != expected}")
        finally:
            srv.stop()

    def ceiling_run(self, body: bytes, secs: float, warm: float, nginx_rps: float) -> dict | None:
        """With --ceiling-bin: Hummingbird alone (bench/ceiling: one route, fixed bytes, no
        middleware, no database) under the same load, so rows 1-2 can be read against what the
        HTTP framework itself reaches on this machine."""
        if not self.ceiling_bin:
            return None
        body_path = self.work / "ceiling-body.json"
        body_path.write_bytes(body)
        port = free_port()
        proc = subprocess.Popen([self.ceiling_bin, str(port), str(body_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 10
            while http_health(port) != 200:  # it answers every GET, /health too
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise BenchError("bench/ceiling did not start answering within 10 s")
                time.sleep(0.05)
            if get(base, "/v1/files/x")[1] != body:
                raise BenchError("bench/ceiling does not serve the file object's bytes")
            r = wrk_checked("bare Hummingbird route (diagnostic)", base + "/v1/files/x", secs, warm, pid=proc.pid)
            return dict(strip_raw(r), ratio_to_nginx=round(r["requests_per_s"] / nginx_rps, 3))
        finally:
            proc.terminate()
            proc.wait(timeout=10)

    # --- row 3 and 7 -----------------------------------------------------------------------

    def latency_variants(self, base: str, count: int) -> dict:
        """Cursors for the deep pages: the middle of the list (and of the purpose-filtered list)."""
        per_purpose = count // len(SEED_PURPOSES)
        mid_all = list_walk_position(base, count // 2, None)
        mid_purpose = list_walk_position(base, per_purpose // 2, FILTER_PURPOSE)
        variants = {}
        for purpose, cursor in ((None, mid_all), (FILTER_PURPOSE, mid_purpose)):
            for order in ("desc", "asc"):
                for deep in (False, True):
                    q = {"limit": PAGE_LIMIT, "order": order}
                    if purpose:
                        q["purpose"] = purpose
                    if deep:
                        q["after"] = cursor["id"]
                    key = f"{'deep' if deep else 'first'} page, {order}, " + (f"purpose={purpose}" if purpose else "all purposes")
                    variants[key] = dict(path="/v1/files?" + urllib.parse.urlencode(q), purpose=purpose,
                                         order=order, after=cursor["id"] if deep else None,
                                         cursor_created_at=cursor["created_at"] if deep else None)
        return variants

    def measure_latency(self, targets: dict, samples: int) -> dict:
        """targets: store size -> (base URL, variants). Requests go round-robin over variants and
        stores, one keep-alive connection per server, so load drift on a shared machine hits every
        figure alike. Returns store size -> variant -> timing."""
        conns = {}
        for n, (base, _) in targets.items():
            u = urllib.parse.urlparse(base)
            conns[n] = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        times = {n: {k: [] for k in variants} for n, (_, variants) in targets.items()}
        keys = list(next(iter(targets.values()))[1])
        try:
            for round_ in range(5 + samples):  # 5 warm-up rounds
                for key in keys:
                    for n, (base, variants) in targets.items():
                        path = variants[key]["path"]
                        t0 = time.perf_counter()
                        status, body, _ = get(base, path, conn=conns[n])
                        dt = time.perf_counter() - t0
                        if status != 200:
                            raise BenchError(f"GET {path} ({n} files): expected 200, got {status}: {body[:300]!r}")
                        if round_ >= 5:
                            times[n][key].append(dt)
            # Check the pages once: full, in order, filtered, past the cursor.
            for n, (base, variants) in targets.items():
                for key, v in variants.items():
                    page, _ = get_json(base, v["path"], conns[n])
                    data = page["data"]
                    if len(data) != PAGE_LIMIT:
                        raise BenchError(f"GET {v['path']} ({n} files): expected {PAGE_LIMIT} items, got {len(data)}")
                    if v["purpose"] and any(f["purpose"] != v["purpose"] for f in data):
                        raise BenchError(f"GET {v['path']} ({n} files): an item of another purpose")
                    stamps = [f["created_at"] for f in data]
                    if stamps != sorted(stamps, reverse=v["order"] == "desc"):
                        raise BenchError(f"GET {v['path']} ({n} files): items out of created_at order")
                    if v["after"] and any(f["id"] == v["after"] for f in data):
                        raise BenchError(f"GET {v['path']} ({n} files): the page repeats its cursor")
                    if v["after"]:
                        bad = [f for f in data if (f["created_at"] < v["cursor_created_at"] if v["order"] == "asc"
                                                   else f["created_at"] > v["cursor_created_at"])]
                        if bad:
                            raise BenchError(f"GET {v['path']} ({n} files): items on the wrong side of the cursor")
        finally:
            for c in conns.values():
                c.close()
        return {n: {k: dict(median_ms=round(statistics.median(t) * 1000, 3),
                            p90_ms=round(sorted(t)[max(0, int(len(t) * 0.9) - 1)] * 1000, 3),
                            min_ms=round(min(t) * 1000, 3), samples=len(t)) for k, t in per.items()}
                for n, per in times.items()}

    def query_plans(self, store: Path, variants: dict) -> dict:
        db = sqlite3.connect(f"file:{store / 'mockfiles.sqlite'}?mode=ro", uri=True)
        try:
            tenant = db.execute("SELECT tenant FROM files LIMIT 1").fetchone()[0]
            cols = "seq, id, tenant, purpose, filename, bytes, created_at, expires_at, processed_at_ms"
            plans = {}
            now = int(time.time())
            for key, v in variants.items():
                cond = ["tenant = ?", "(expires_at IS NULL OR expires_at > ?)"]
                params: list = [tenant, now]
                if v["purpose"]:
                    cond.append("purpose = ?")
                    params.append(v["purpose"])
                if v["after"]:
                    row = db.execute("SELECT created_at, seq FROM files WHERE id = ?", (v["after"],)).fetchone()
                    cond.append("(created_at, seq) > (?, ?)" if v["order"] == "asc" else "(created_at, seq) < (?, ?)")
                    params += list(row)
                d = v["order"].upper()
                sql = f"SELECT {cols} FROM files WHERE {' AND '.join(cond)} ORDER BY created_at {d}, seq {d} LIMIT ?"
                params.append(PAGE_LIMIT)
                plan = [r[3] for r in db.execute("EXPLAIN QUERY PLAN " + sql, params)]
                t = []
                for _ in range(20):
                    t0 = time.perf_counter()
                    db.execute(sql, params).fetchall()
                    t.append(time.perf_counter() - t0)
                plans[key] = dict(sql=sql, plan=plan, sqlite_median_ms=round(statistics.median(t) * 1000, 3),
                                  full_scan=any(p.startswith("SCAN") for p in plan),
                                  temp_btree=any("TEMP B-TREE" in p for p in plan))
            cursor_lookup = "SELECT created_at, seq FROM files WHERE id = ? AND tenant = ?"
            plans["cursor lookup"] = dict(sql=cursor_lookup, plan=[r[3] for r in db.execute(
                "EXPLAIN QUERY PLAN " + cursor_lookup, ("x", tenant))])
            return plans
        finally:
            db.close()

    def row_3_and_7(self):
        small_n, large_n = self.size["flat_small"], self.size["flat_large"]
        results, plans, servers = {}, {}, {}
        stores = {n: self.seed(n) for n in (small_n, large_n)}
        startup = self.measure_startup(self.server(stores[large_n], f"startup-{large_n}"), large_n)
        try:
            # Both stores are served at once and measured interleaved.
            for n in (large_n, small_n):  # the large store first: its start-up recovery is the long one
                servers[n] = self.server(stores[n], f"flat-{n}")
                servers[n].start()
            targets = {}
            for n, srv in servers.items():
                settle = wait_idle(srv.pid)
                rss = read_status_kib(srv.pid, "VmRSS") / 1024
                log(f"row 3: {n} files: the server settled {settle:.1f} s after start-up (RSS {rss:.0f} MiB)")
                if settle > 5:
                    self.notes.append(f"row 3: with {n:,} files the server was busy for {settle:.0f} s after start-up "
                                      f"(RSS then {rss:.0f} MiB)")
                variants = self.latency_variants(srv.base, n)
                targets[n] = (srv.base, variants)
                results[n] = dict(variants=variants, settle_seconds=round(settle, 2), rss_after_settle_mib=round(rss, 1))
            log(f"row 3: {len(targets[small_n][1])} variants x {self.size['latency_samples']} rounds, both stores interleaved")
            latency = self.measure_latency(targets, self.size["latency_samples"])
            for n in servers:
                results[n]["latency"] = latency[n]
        finally:
            for srv in servers.values():
                srv.stop()
        for n in (small_n, large_n):
            plans[str(n)] = self.query_plans(stores[n], results[n]["variants"])
        ratios = {}
        for key in results[small_n]["latency"]:
            a, b = results[small_n]["latency"][key]["median_ms"], results[large_n]["latency"][key]["median_ms"]
            ratios[key] = dict(small_median_ms=a, large_median_ms=b, ratio=round(b / a, 3) if a else None)
        worst = max(ratios, key=lambda k: ratios[k]["ratio"] or 0)
        self.details["query_plans"] = plans
        scans = [f"{n}: {k}" for n, p in plans.items() for k, v in p.items() if v.get("full_scan") or v.get("temp_btree")]
        self.row("3", f"limit={PAGE_LIMIT} page median, {large_n:,} vs {small_n:,} files (worst of 8 variants: {worst})",
                 "ms", ratios[worst]["large_median_ms"], ratios[worst]["small_median_ms"], f"same page at {small_n:,} files",
                 "<=", 1.5, "ratio ≤ 1.5", ratio=ratios[worst]["ratio"],
                 details=dict(per_variant=ratios, worst_variant=worst, small=results[small_n], large=results[large_n],
                              plans_with_scan_or_temp_btree=scans))
        for key, r in ratios.items():
            log(f"  {key}: {r['small_median_ms']:.2f} ms -> {r['large_median_ms']:.2f} ms (x{r['ratio']})")
        if startup:
            self.rows.append(startup)

    def measure_startup(self, srv: Server, n: int) -> dict:
        log(f"row 7: start-up to /health 200 with {n} files, {self.size['startup_runs']} runs (+ an empty store)")
        times, stops = [], []
        for _ in range(self.size["startup_runs"]):
            times.append(srv.start())
            rss = read_status_kib(srv.pid, "VmRSS")
            stops.append(srv.stop())
        empty_dir = self.work / "store-empty"
        shutil.rmtree(empty_dir, ignore_errors=True)
        empty = self.server(empty_dir, "empty")
        empty_times = []
        for _ in range(self.size["startup_runs"]):
            empty_times.append(empty.start())
            empty.stop()
        if max(stops) > 5:
            self.notes.append(f"row 7: with {n:,} files, SIGTERM right after start-up took up to {max(stops):.1f} s to stop "
                              f"the server (runs: {', '.join(f'{x:.1f}' for x in stops)} s)")
        mine, ref = statistics.median(times) * 1000, statistics.median(empty_times) * 1000
        log(f"  {n} files: {', '.join(f'{t * 1000:.0f}' for t in times)} ms; empty store: {', '.join(f'{t * 1000:.0f}' for t in empty_times)} ms")
        row = dict(row="7", measure=f"start-up: process start to /health 200, {n:,} files stored (median of {len(times)})",
                   unit="ms", mockfiles=round(mine, 1), reference=round(ref, 1), reference_name="same, empty data dir",
                   ratio=round(mine / ref, 3) if ref else None, target="≤ 200 ms", target_value=200, target_op="<=",
                   target_applies_to="value", met=mine <= 200,
                   details=dict(runs_ms=[round(t * 1000, 1) for t in times], empty_runs_ms=[round(t * 1000, 1) for t in empty_times],
                                max_ms=round(max(times) * 1000, 1), stop_after_sigterm_s=[round(s, 3) for s in stops],
                                rss_at_ready_mib=round(rss / 1024, 1)))
        return row

    # --- rows 4, 5, 6 ------------------------------------------------------------------------

    def big_file(self) -> tuple[Path, str]:
        size = self.size["big_bytes"]
        path = self.work / f"upload-{size}.bin"
        sha_path = path.with_suffix(".sha256")
        if path.exists() and path.stat().st_size == size and sha_path.exists():
            return path, sha_path.read_text().strip()
        log(f"writing {size // MiB} MiB of random bytes to {path}")
        h = hashlib.sha256()
        with open(path, "wb") as f:
            left = size
            while left:
                chunk = os.urandom(min(64 * MiB, left))
                h.update(chunk)
                f.write(chunk)
                left -= len(chunk)
        sha_path.write_text(h.hexdigest())
        return path, h.hexdigest()

    def dd(self, source: Path, data_dir: Path, size: int) -> float:
        """The same bytes the upload sends (the issue's "same bytes": random data, which a disk
        cannot compress or skip the way it can zeros), from the page cache to the same disk."""
        target = data_dir / "dd.bin"
        r = run(["dd", f"if={source}", f"of={target}", "bs=1M", f"count={size // MiB}", "conv=fsync"])
        target.unlink()
        m = re.search(r"(\d+) bytes .* copied, ([\d.]+) s", r.stderr)
        if not m:
            raise BenchError(f"cannot parse dd output: {r.stderr}")
        return int(m.group(1)) / float(m.group(2)) / 1e6

    def multipart_upload(self, base: str, path: Path, size: int) -> tuple[float, dict]:
        """POST /v1/files with the file sent by sendfile(2): a client that costs next to nothing,
        so the row measures the server (curl -F reads and sends 16 KiB at a time and tops out
        near 200 MB/s here). The body is the multipart form the SDKs send."""
        code, seconds, body = sendfile_multipart(base, path, size)
        if code != 200:
            raise BenchError(f"POST /v1/files ({size} B multipart): expected 200, got {code}: {body[:300]!r}")
        obj = json.loads(body)
        if obj.get("bytes") != size:
            raise BenchError(f"POST /v1/files: answered bytes={obj.get('bytes')}, sent {size}")
        return size / seconds / 1e6, obj

    def curl_download(self, url: str, size: int, auth: bool = True) -> float:
        cmd = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{time_total} %{size_download}"]
        if auth:
            cmd += ["-H", f"Authorization: {AUTH}"]
        r = run(cmd + [url])
        code, seconds, got = r.stdout.split()
        if code != "200" or int(float(got)) != size:
            raise BenchError(f"GET {url}: expected 200 with {size} B, got {code} with {got} B")
        return size / float(seconds) / 1e6

    def verify_download(self, base: str, file_id: str, size: int, sha: str) -> None:
        u = urllib.parse.urlparse(base)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=300)
        try:
            conn.request("GET", f"/v1/files/{file_id}/content", headers={"Authorization": AUTH})
            resp = conn.getresponse()
            if resp.status != 200:
                raise BenchError(f"GET /v1/files/{file_id}/content: expected 200, got {resp.status}")
            h, n = hashlib.sha256(), 0
            while chunk := resp.read(4 * MiB):
                h.update(chunk)
                n += len(chunk)
            if n != size or h.hexdigest() != sha:
                raise BenchError(f"GET /v1/files/{file_id}/content: {n} B, sha256 {'differs' if h.hexdigest() != sha else 'ok'} (expected {size} B)")
        finally:
            conn.close()

    def rows_4_5_6(self):
        size = self.size["big_bytes"]
        src, sha = self.big_file()
        store = self.work / "store-uploads"
        shutil.rmtree(store, ignore_errors=True)
        srv = self.server(store, "uploads", ["--max-file-bytes", str(max(2 * size, 512 * MiB))])
        srv.start()
        wait_idle(srv.pid)
        label = f"{size // GiB} GiB" if size >= GiB else f"{size // MiB} MiB"
        try:
            # 4: upload vs dd
            log(f"row 4: multipart upload of {label} vs dd conv=fsync, {self.size['transfer_runs']} runs each")
            sink = DiscardSink()
            try:
                code, seconds, _ = sendfile_multipart(f"http://127.0.0.1:{sink.port}", src, size)
                client_ceiling = size / seconds / 1e6 if code == 200 and sink.received > size else None
            finally:
                sink.close()
            log(f"  client ceiling (the same client into a discarding sink): {client_ceiling or 0:.0f} MB/s")
            dd_runs, up_runs, up_rss, ids = [], [], [], []
            for i in range(self.size["transfer_runs"]):
                dd_runs.append(self.dd(src, store, size))
                rss = RSSMonitor(srv.pid)
                with rss:
                    speed, obj = self.multipart_upload(srv.base, src, size)
                up_runs.append(speed)
                up_rss.append(rss.summary())
                ids.append(obj["id"])
                log(f"  run {i + 1}: upload {speed:.0f} MB/s (RSS +{rss.growth_mib:.1f} MiB, server CPU {rss.cpu_percent} %), dd {dd_runs[-1]:.0f} MB/s")
            for extra in ids[1:]:
                status, body, _ = http_request(srv.base, "DELETE", f"/v1/files/{extra}")
                if status != 200:
                    raise BenchError(f"DELETE /v1/files/{extra}: expected 200, got {status}: {body[:200]!r}")
            file_id = ids[0]
            self.verify_download(srv.base, file_id, size, sha)
            mine, ref = statistics.median(up_runs), statistics.median(dd_runs)
            self.row("4", f"upload {label} multipart (POST /v1/files, sendfile client)", "MB/s", round(mine, 1), round(ref, 1),
                     "dd of the same file, bs=1M conv=fsync; same disk", ">=", 0.5, "≥ 0.5 × dd",
                     details=dict(upload_runs_mb_s=[round(x, 1) for x in up_runs], dd_runs_mb_s=[round(x, 1) for x in dd_runs],
                                  rss=up_rss, bytes=size,
                                  diagnostic_client_ceiling_mb_s=round(client_ceiling, 1) if client_ceiling else None))
            growth = max(r["rss_growth_mib"] for r in up_rss)
            self.row("4 rss", "upload: server peak RSS growth (max of runs)", "MiB", growth, None, None,
                     "<=", 64, "≤ 64 MiB", against="value", details=dict(runs=up_rss))

            # 5: download vs nginx
            blobs = list(store.glob(f"blobs/*/{file_id}"))
            if len(blobs) != 1:
                raise BenchError(f"cannot find the blob of {file_id} under {store}/blobs")
            big_url = self.nginx.link("big.bin", blobs[0])
            log(f"row 5: download of {label} via /content vs nginx (sendfile), {self.size['transfer_runs']} runs each")
            down_runs, down_rss, ng_runs = [], [], []
            self.curl_download(srv.base + f"/v1/files/{file_id}/content", size)  # warm the page cache
            self.curl_download(self.nginx.base + big_url, size, auth=False)
            for i in range(self.size["transfer_runs"]):
                rss = RSSMonitor(srv.pid)
                with rss:
                    down_runs.append(self.curl_download(srv.base + f"/v1/files/{file_id}/content", size))
                down_rss.append(rss.summary())
                ng_runs.append(self.curl_download(self.nginx.base + big_url, size, auth=False))
                log(f"  run {i + 1}: mockfiles {down_runs[-1]:.0f} MB/s (RSS +{rss.growth_mib:.1f} MiB, server CPU {rss.cpu_percent} %), nginx {ng_runs[-1]:.0f} MB/s")
            self.row("5", f"download {label} (GET /v1/files/{{id}}/content, curl)", "MB/s", round(statistics.median(down_runs), 1),
                     round(statistics.median(ng_runs), 1), "nginx, same file, sendfile on", ">=", 0.5, "≥ 0.5 × nginx",
                     details=dict(mockfiles_runs_mb_s=[round(x, 1) for x in down_runs], nginx_runs_mb_s=[round(x, 1) for x in ng_runs],
                                  rss=down_rss, bytes=size))
            self.row("5 rss", "download: server peak RSS growth (max of runs)", "MiB", max(r["rss_growth_mib"] for r in down_rss),
                     None, None, "<=", 64, "≤ 64 MiB", against="value", details=dict(runs=down_rss))

            # 6: small uploads
            self.row_6(srv, store)
        finally:
            srv.stop()

    def row_6(self, srv: Server, store: Path):
        secs = self.size["small_upload_seconds"]
        log(f"row 6: 1 KiB multipart uploads, {SMALL_UPLOAD_CLIENTS} keep-alive connections (wrk + Lua), {secs} s")
        before = count_files(srv.base)
        script = self.work / "small-upload.lua"
        script.write_text(SMALL_UPLOAD_LUA.replace("@BYTES@", str(SMALL_UPLOAD_BYTES)))
        rss = RSSMonitor(srv.pid)
        with rss:
            r = wrk_checked("mockfiles", srv.base + "/v1/files", secs, 0, pid=srv.pid, connections=SMALL_UPLOAD_CLIENTS, script=script)
        after = count_files(srv.base)
        made = after - before
        # wrk counts answers it read; requests cut off by the end of the run may still have landed.
        if made < r["requests"]:
            raise BenchError(f"small uploads: wrk got {r['requests']} answers (all 2xx) but only {made} files are listed")
        page, _ = get_json(srv.base, "/v1/files?limit=1")
        newest = page["data"][0]
        status, body, _ = get(srv.base, f"/v1/files/{newest['id']}/content")
        if status != 200 or body != b"x" * SMALL_UPLOAD_BYTES:
            raise BenchError(f"GET /v1/files/{newest['id']}/content of a small upload: status {status}, {len(body)} B, bytes differ")
        ref = durable_small_writes(store / "fsync-ref", SMALL_UPLOAD_CLIENTS, SMALL_UPLOAD_BYTES, min(secs, 5))
        log(f"  reference: {ref['writes_per_s']:.0f} durable 1 KiB file writes/s ({SMALL_UPLOAD_CLIENTS} threads)")
        self.row("6", f"small uploads: 1 KiB files, {SMALL_UPLOAD_CLIENTS} concurrent clients (each 200 fsynced)", "uploads/s",
                 r["requests_per_s"], ref["writes_per_s"],
                 f"{SMALL_UPLOAD_CLIENTS} threads: write 1 KiB, fsync, rename, fsync dir; same disk",
                 details=dict(wrk=strip_raw(r), files_listed_after=made, server_rss=rss.summary(), reference=ref))

    # --- the run -------------------------------------------------------------------------------

    def removal_running(self) -> bool:
        try:
            pid = int((self.work / "trash.pid").read_text())
            return str(self.work / "trash").encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return False

    def discard(self, dirs: list[Path], background: bool = True) -> None:
        """Data dirs go to work/trash (a rename) and a detached, idle-priority `rm -rf` empties it:
        unlinking a million blobs can take many minutes on some disks (about 1 ms each here)."""
        trash = self.work / "trash"
        trash.mkdir(exist_ok=True)
        for d in dirs:
            if d.exists():
                d.rename(trash / f"{d.name}-{os.getpid()}-{time.time_ns()}")
        if background and any(trash.iterdir()):
            if self.removal_running():
                log(f"an earlier removal of {trash} is still running; run `rm -rf {trash}` if anything is left")
                return
            pid_file = self.work / "trash.pid"
            cmd = ["rm", "-rf", str(trash)]
            if shutil.which("ionice"):
                cmd = ["ionice", "-c3", *cmd]
            proc = subprocess.Popen(["nice", "-n", "19", *cmd], start_new_session=True,
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            pid_file.write_text(str(proc.pid))
            log(f"removing the data dirs in the background ({trash}, pid {proc.pid})")

    def run(self) -> int:
        started = time.time()
        self.load_start = os.getloadavg()
        self.versions = versions(self.binary)  # before the run: a rebuild during it would show in the mtime
        if self.load_start[0] > (os.cpu_count() or 1):
            log(f"warning: load average {self.load_start[0]:.1f} on {os.cpu_count()} CPUs: other work will skew the figures")
        self.work.mkdir(parents=True, exist_ok=True)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        for old in self.logs.glob("server-*.log"):
            old.unlink()
        # Data dirs of earlier runs (--keep, an interrupted run) go to the trash, which is emptied in the
        # background when this run ends, not now (a million blobs take many minutes to unlink).
        self.discard(list(self.work.glob("store-*")), background=False)
        trash = self.work / "trash"
        if self.removal_running():
            log(f"warning: the data dirs of an earlier run are still being removed ({trash}): that disk work "
                f"competes with this run")
        log(f"mode {self.mode}, binary {self.binary}, work dir {self.work}")
        try:
            self.nginx.start()
        except Exception as e:  # noqa: BLE001
            self.errors.append(f"nginx: {e}")
            log(f"ERROR nginx: {e}")
        steps = [("1-2", "GET throughput", self.rows_1_2), ("3+7", "list latency flatness / start-up", self.row_3_and_7),
                 ("4-6", "transfers", self.rows_4_5_6)]
        for num, name, step in steps:
            if self.args.only and not any(part in num for part in self.args.only.split(",")):
                continue
            try:
                step()
            except Exception as e:  # noqa: BLE001
                msg = f"rows {num} ({name}): {e}"
                self.errors.append(msg)
                log("ERROR " + msg)
                if not isinstance(e, BenchError):
                    traceback.print_exc()
                self.error_row(num, name, e)
                for s in self.servers:
                    if s.proc:
                        try:
                            s.stop()
                        except BenchError as stop_error:
                            self.errors.append(str(stop_error))
        self.nginx.stop()
        if len(Server.binary_mtimes) > 1:
            stamps = ", ".join(time.strftime("%H:%M:%S", time.localtime(t)) for t in sorted(Server.binary_mtimes))
            self.notes.append(f"the mockfiles binary changed during the run (builds of {stamps}): rows measured different builds")
        for s in self.servers:
            problems = s.log_problems()
            if problems:
                self.details.setdefault("server_log_problems", {})[s.name] = problems
        if not self.args.keep:
            self.discard([*self.stores.values(), self.work / "store-uploads", self.work / "store-empty"])
        self.write(started)
        return 1 if self.errors else 0

    def write(self, started: float) -> None:
        for r in self.rows:
            for k in ("mockfiles", "reference", "ratio"):
                if isinstance(r.get(k), float):
                    r[k] = round(r[k], 3 if k == "ratio" else 1)
        doc = dict(
            mode=self.mode, started_at=time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
            duration_s=round(time.time() - started, 1), machine=machine_info(self.work), versions=self.versions,
            load_average=dict(start=[round(x, 2) for x in self.load_start], end=[round(x, 2) for x in os.getloadavg()]),
            sizes=self.size, settings=dict(wrk_connections=WRK_CONNECTIONS, wrk_threads=WRK_THREADS,
                                           small_upload_clients=SMALL_UPLOAD_CLIENTS, seed_purposes=SEED_PURPOSES,
                                           filter_purpose=FILTER_PURPOSE, page_limit=PAGE_LIMIT),
            rows=sorted(self.rows, key=row_key), errors=self.errors, notes=self.notes, **self.details)
        self.out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        print(markdown_table(sorted(self.rows, key=row_key)))
        print()
        print(f"mode: {self.mode}; {doc['machine']['cpu_model']}, {doc['machine']['nproc']} CPUs, "
              f"{doc['machine']['mem_total_gib']} GiB RAM, kernel {doc['machine']['kernel']}; {doc['duration_s']} s; "
              f"load average {doc['load_average']['start'][0]} at start, {doc['load_average']['end'][0]} at end")
        print(f"JSON: {self.out}")
        if self.notes:
            print("\nnotes:")
            for n in self.notes:
                print(f"- {n}")
        if self.errors:
            print("\nERRORS:")
            for e in self.errors:
                print(f"- {e}")
        for name, lines in self.details.get("server_log_problems", {}).items():
            print(f"\nserver log ({name}) problems:")
            for l in lines[:10]:
                print(f"  {l}")


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


def http_request(base: str, method: str, path: str):
    u = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    try:
        conn.request(method, path, headers={"Authorization": AUTH})
        resp = conn.getresponse()
        return resp.status, resp.read(), dict(resp.getheaders())
    finally:
        conn.close()


def sendfile_multipart(base: str, path: Path, size: int) -> tuple[int, float, bytes]:
    """Uploads `path` as the `file` part of POST /v1/files (purpose vision, whose content downloads by default), the file's bytes
    sent with sendfile(2) from the page cache. Returns status, seconds to the whole answer, body."""
    boundary = "bench" + os.urandom(12).hex()
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nvision\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    u = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
    try:
        started = time.perf_counter()
        conn.putrequest("POST", "/v1/files")
        conn.putheader("Authorization", AUTH)
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(len(head) + size + len(tail)))
        conn.endheaders(head)
        with open(path, "rb") as f:
            sent = conn.sock.sendfile(f)
        if sent != size:
            raise BenchError(f"sendfile sent {sent} of {size} B")
        conn.sock.sendall(tail)
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, time.perf_counter() - started, body
    finally:
        conn.close()


class DiscardSink:
    """A loopback HTTP sink that reads a request body to the end and answers 200: how fast the
    client can send, so a slow upload row can be told apart from a slow client."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.received = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                head, _, rest = data.partition(b"\r\n\r\n")
                m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                left = (int(m.group(1)) if m else 0) - len(rest)
                buf = bytearray(MiB)
                while left > 0:
                    n = conn.recv_into(buf, min(len(buf), left))
                    if not n:
                        break
                    left -= n
                self.received = (int(m.group(1)) if m else 0) - max(left, 0)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")

    def close(self) -> None:
        self.sock.close()


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


def row_key(r: dict):
    head = str(r["row"]).split()[0]
    return (int(re.match(r"\d+", head).group()), str(r["row"]))


def strip_raw(r: dict) -> dict:
    return {k: v for k, v in r.items() if k != "raw"}


def fmt(value, unit) -> str:
    if value is None:
        return "—"
    if unit in ("req/s", "uploads/s"):
        return f"{value:,.0f} {unit}"
    if unit == "ms":
        return f"{value:,.2f} ms" if value < 10 else f"{value:,.1f} ms"
    return f"{value:,.1f} {unit}"


def markdown_table(rows: list[dict]) -> str:
    lines = ["| # | measure | mockfiles | reference | ratio | target | met |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        if r.get("error"):
            lines.append(f"| {r['row']} | {r['measure']} | ERROR | — | — | — | ERROR: {str(r['error']).splitlines()[0][:200]} |")
            continue
        ref = fmt(r["reference"], r["unit"])
        if r.get("reference_name") and r["reference"] is not None:
            ref += f" ({r['reference_name']})"
        ratio = "—" if r["ratio"] is None else f"{r['ratio']:.2f}"
        met = "—" if r["met"] is None else ("PASS" if r["met"] else "MISS")
        lines.append(f"| {r['row']} | {r['measure']} | {fmt(r['mockfiles'], r['unit'])} | {ref} | {ratio} | {r['target'] or 'report'} | {met} |")
    return "\n".join(lines)


def machine_info(work: Path) -> dict:
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1])
    except OSError:
        pass
    disk = ""
    try:
        disk = subprocess.run(["df", "-hT", str(work)], capture_output=True, text=True).stdout.strip().splitlines()[-1]
    except (OSError, IndexError):
        pass
    return dict(nproc=os.cpu_count(), mem_total_gib=round(mem / 1024 / 1024, 1), kernel=platform.release(),
                cpu_model=cpu, os=_os_release(), work_dir_filesystem=disk)


def _os_release() -> str:
    try:
        for line in open("/etc/os-release"):
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.platform()


def versions(binary: str) -> dict:
    def first_line(cmd):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
            return (r.stdout + r.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return None

    commit = first_line(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "Sources", "Package.swift"],
                           capture_output=True, text=True).stdout.strip() != ""
    st = os.stat(binary)
    return dict(git_commit=commit, sources_dirty=dirty, mockfiles_binary=binary,
                binary_mtime=time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(st.st_mtime)),
                nginx=first_line(["nginx", "-v"]), wrk=first_line(["wrk", "-v"]), curl=first_line(["curl", "--version"]),
                python=sys.version.split()[0], sqlite=sqlite3.sqlite_version)


def main() -> int:
    p = argparse.ArgumentParser(description="mockfiles benchmark (use bench/run)")
    p.add_argument("--bin", required=True, help="the mockfiles binary")
    p.add_argument("--quick", action="store_true", help="small sizes, about a minute")
    p.add_argument("--out", default=str(ROOT / "bench/out/results.json"), help="JSON results file")
    p.add_argument("--work-dir", default=str(ROOT / "bench/out/work"), help="data dirs, nginx, the upload file")
    p.add_argument("--keep", action="store_true", help="keep the seeded data dirs")
    p.add_argument("--only", help="comma-separated steps: 1-2, 3+7, 4-6")
    p.add_argument("--ceiling-bin", help="bench/ceiling's binary: adds bare Hummingbird to rows 1-2 as a diagnostic")
    args = p.parse_args()
    if not os.access(args.bin, os.X_OK):
        print(f"error: {args.bin} is not an executable", file=sys.stderr)
        return 2
    return Bench(args).run()


if __name__ == "__main__":
    sys.exit(main())
