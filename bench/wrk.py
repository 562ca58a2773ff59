"""wrk, the load generator of the throughput rows: one run parsed into figures, and a checked run that
fails the row on any non-2xx answer, socket error or empty run."""

from __future__ import annotations

import contextlib
import re
import resource
import time
from pathlib import Path

from procstats import CPUByProgram, RSSMonitor, cpu_seconds, cpu_ticks
from session import BenchError, BenchServer, Session, log, run_command
from settings import AUTH, WRK_CONNECTIONS, WRK_THREADS


def wrk(url: str, seconds: float, connections: int = WRK_CONNECTIONS, threads: int = WRK_THREADS,
        script: Path | None = None) -> dict:
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
           "--latency", "-H", f"Authorization: {AUTH}"]
    if script:
        cmd += ["-s", str(script)]
    cmd.append(url)
    out = run_command(cmd).stdout
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


def wrk_checked(label: str, url: str, seconds: float, warmup: float, pid: int | None = None,
                others: CPUByProgram | None = None, **kw) -> dict:
    """A warm-up run, then the measured one; with `pid`, the CPU that process used during it; with
    `others`, the CPU of those programs during it too."""
    if warmup:
        wrk(url, warmup, **kw)
    ticks = cpu_ticks(pid) if pid else 0
    t0 = time.monotonic()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    with others or contextlib.nullcontext():
        r = wrk(url, seconds, **kw)
    if others:
        # Where each answer's time went on a shared machine: the programs beside the server, and
        # wrk itself (a child of this process, gone before /proc could be read).
        done = resource.getrusage(resource.RUSAGE_CHILDREN)
        others.used["wrk"] = done.ru_utime + done.ru_stime - children.ru_utime - children.ru_stime
        r["others_cpu_us_per_request"] = others.per_request_us(r["requests"])
    if pid:
        used, elapsed = cpu_seconds(pid, ticks), time.monotonic() - t0
        r["server_cpu_percent"] = round(used / elapsed * 100) if elapsed else None
        # What one answer cost the server in CPU, user and system: a regression shows as a number
        # even when the machine's load moves the requests/s.
        r["server_cpu_us_per_request"] = round(used * 1e6 / r["requests"], 1) if r["requests"] else None
    problems = []
    if r["non_2xx"]:
        problems.append(f"{r['non_2xx']} non-2xx answers")
    if any(r["socket_errors"].values()):
        problems.append(f"socket errors {r['socket_errors']}")
    if r["requests"] == 0:
        problems.append("no request completed")
    if problems:
        raise BenchError(f"wrk {label} ({url}): {', '.join(problems)}\n{r['raw']}")
    cpu = (f", server CPU {r['server_cpu_percent']} %, {r['server_cpu_us_per_request']} µs/request"
           if "server_cpu_percent" in r else "")
    log(f"  {label}: {r['requests_per_s']:.0f} req/s (p50 {r['latency'].get('p50_ms', 0):.2f} ms{cpu})")
    if others:
        log(f"    CPU µs per request besides the server: {r['others_cpu_us_per_request']}")
    return r


def against_nginx(session: Session, srv: BenchServer, path: str, body: bytes, name: str) -> tuple[dict, dict, RSSMonitor]:
    """GET `path` under the same load from mockfiles (its memory and CPU watched) and from nginx serving
    `body`, mockfiles' answer, saved as `name`: (mockfiles' figures, nginx's, mockfiles' RSS monitor)."""
    served = session.nginx.mirror(name, srv.base, path, body)
    secs, warm = session.size["wrk_seconds"], session.size["wrk_warmup_seconds"]
    rss = RSSMonitor(srv.pid)
    with rss:
        mine = wrk_checked("mockfiles", srv.base + path, secs, warm, pid=srv.pid)
    ref = wrk_checked("nginx", session.nginx.base + served, secs, warm)
    return mine, ref, rss


def strip_raw(r: dict) -> dict:
    """A wrk result without its raw output, for the JSON file."""
    return {k: v for k, v in r.items() if k != "raw"}
