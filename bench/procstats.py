"""A server process seen from /proc: its memory while a load runs (peak RSS growth) and its CPU time, so
a row can say what a figure cost and wait until start-up work is over before it measures."""

from __future__ import annotations

import os
import threading
import time

from mockfiles_kit.server import proc_status_kib

from session import BenchError


def read_status_kib(pid: int, field: str) -> int:
    value = proc_status_kib(pid, field)
    if value is None:
        raise BenchError(f"/proc/{pid}/status has no {field}")
    return value


def cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14 and 15 of stat)


def cpu_seconds(pid: int, ticks_before: int) -> float:
    """CPU seconds (user + system) the process used since `ticks_before`."""
    return (cpu_ticks(pid) - ticks_before) / os.sysconf("SC_CLK_TCK")


def cpu_percent(pid: int, ticks_before: int, seconds: float) -> int | None:
    """CPU the process used since `ticks_before`, in % of one CPU (200 % = both CPUs of a 2-CPU machine)."""
    return round(cpu_seconds(pid, ticks_before) / seconds * 100) if seconds else None


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
        self.cpu_percent = cpu_percent(self.pid, self._ticks, time.monotonic() - self._t0)
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


class CPUByProgram:
    """CPU time every process of some programs used while a load ran, per program (its `comm`), so a
    row on a shared machine can say where the time went: the server, its database, the object store,
    the load generator. Processes started during the load count whole; those that ended are missed
    (their time goes to a parent that reaps them, not seen here)."""

    def __init__(self, programs: tuple[str, ...]):
        self.programs = programs
        self.before: dict[int, tuple[str, int]] = {}
        self.used: dict[str, float] = {}

    def _snapshot(self) -> dict[int, tuple[str, int]]:
        seen = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    text = f.read()
            except OSError:
                continue
            name = text[text.index("(") + 1:text.rindex(")")]
            if name in self.programs:
                fields = text.rsplit(")", 1)[1].split()
                seen[int(entry)] = (name, int(fields[11]) + int(fields[12]))
        return seen

    def __enter__(self):
        self.before = self._snapshot()
        return self

    def __exit__(self, *exc):
        ticks_per_s = os.sysconf("SC_CLK_TCK")
        self.used = {name: 0.0 for name in self.programs}
        for pid, (name, ticks) in self._snapshot().items():
            earlier = self.before.get(pid)
            start = earlier[1] if earlier and earlier[0] == name else 0
            self.used[name] += (ticks - start) / ticks_per_s
        return False

    def per_request_us(self, requests: int) -> dict[str, float]:
        return {name: round(seconds * 1e6 / requests, 1) for name, seconds in self.used.items()} if requests else {}
