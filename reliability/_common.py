"""Shared pieces of the reliability scripts: one `mockfiles serve` process, data-dir inspection, a check tally.

Every network target is 127.0.0.1. The server binary is MOCKFILES_BIN or <repo>/.build/release/mockfiles.
"""

from __future__ import annotations

import os
import signal
import socket
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx2

REPO_ROOT = Path(__file__).resolve().parents[1]
API_KEY = "sk-test"
AUTH = {"Authorization": f"Bearer {API_KEY}"}


def binary_path() -> Path:
    path = Path(os.environ.get("MOCKFILES_BIN", REPO_ROOT / ".build" / "release" / "mockfiles"))
    return path if path.is_absolute() else REPO_ROOT / path


def wait_for_binary(timeout: float = 900.0) -> Path:
    """The lead rebuilds the binary now and then: wait until it is there (and stable) rather than fail at once."""
    binary = binary_path()
    deadline = time.monotonic() + timeout
    while True:
        try:
            first = binary.stat()
            time.sleep(0.5)
            second = binary.stat()
            if os.access(binary, os.X_OK) and (first.st_size, first.st_mtime) == (second.st_size, second.st_mtime):
                return binary
        except FileNotFoundError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"server binary {binary} is missing or not executable; build it or set MOCKFILES_BIN")
        time.sleep(2.0)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Server:
    """One `mockfiles serve` on a data dir; can be killed (-9) and started again on the same dir and port."""

    def __init__(self, data_dir: Path, log_dir: Path, extra_args: list[str] | None = None, port: int | None = None):
        self.binary = wait_for_binary()
        self.data_dir = data_dir
        self.log_dir = log_dir
        self.extra_args = extra_args or []
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        data_dir.mkdir(parents=True, exist_ok=True)
        log_dir.mkdir(parents=True, exist_ok=True)

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def args(self) -> list[str]:
        return [str(self.binary), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", str(self.data_dir), *self.extra_args]

    def stderr_path(self) -> Path:
        return self.log_dir / "stderr.log"

    def tail(self, limit: int = 4000) -> str:
        try:
            text = self.stderr_path().read_text(errors="replace")
        except FileNotFoundError:
            return "<no output>"
        return text[-limit:]

    def start(self, ready_timeout: float = 60.0) -> float:
        """Starts the process and waits for GET /health == 200; returns the seconds that took."""
        assert self.process is None or self.process.poll() is not None, "already running"
        began = time.monotonic()
        for attempt in range(3):
            self.binary = wait_for_binary()  # it may be mid-rebuild
            with open(self.log_dir / "stdout.log", "ab") as out, open(self.stderr_path(), "ab") as err:
                marker = f"\n==== start {self.starts + 1} at {time.strftime('%H:%M:%S')} ====\n".encode()
                err.write(marker)
                err.flush()
                self.process = subprocess.Popen(self.args(), stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=REPO_ROOT)
            self.starts += 1
            try:
                self._wait_ready(ready_timeout)
                return time.monotonic() - began
            except RuntimeError:
                if self.process.poll() is None or attempt == 2:
                    raise
                # The port may still be held by the killed process' sockets: take another one.
                self.port = free_port()
        raise AssertionError("unreachable")

    def _wait_ready(self, timeout: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                raise RuntimeError(f"mockfiles exited with {code} before /health answered\n{self.tail()}")
            try:
                r = httpx2.get(f"{self.root_url}/health", timeout=2.0)
                if r.status_code == 200:
                    return
                last = f"HTTP {r.status_code}"
            except httpx2.TransportError as e:
                last = repr(e)
            time.sleep(0.05)
        self.process.kill()
        self.process.wait()
        raise RuntimeError(f"mockfiles did not answer /health within {timeout:.0f}s (last: {last})\n{self.tail()}")

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM and wait; returns the exit code, or None if it had to be killed."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None

    def rss_kib(self) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return None
        try:
            with open(f"/proc/{self.process.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except FileNotFoundError:
            return None
        return None


# ---------------------------------------------------------------- data dir


def db_path(data_dir: Path) -> Path:
    return data_dir / "mockfiles.sqlite"


def connect_ro(data_dir: Path) -> sqlite3.Connection:
    """Read-only connection beside a running server (WAL lets readers in)."""
    con = sqlite3.connect(f"file:{db_path(data_dir)}?mode=ro", uri=True, timeout=30.0)
    con.execute("PRAGMA busy_timeout = 30000")
    return con


def db_file_ids(data_dir: Path) -> set[str]:
    con = connect_ro(data_dir)
    try:
        return {row[0] for row in con.execute("SELECT id FROM files")}
    finally:
        con.close()


def db_blob_owner_ids(data_dir: Path) -> set[str]:
    """Ids that own a blob: file rows, and upload part rows once the schema has them."""
    con = connect_ro(data_dir)
    try:
        ids = {row[0] for row in con.execute("SELECT id FROM files")}
        tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "upload_parts" in tables:
            ids |= {row[0] for row in con.execute("SELECT id FROM upload_parts")}
        return ids
    finally:
        con.close()


def integrity_check(data_dir: Path) -> str:
    con = connect_ro(data_dir)
    try:
        rows = con.execute("PRAGMA integrity_check").fetchall()
        return "; ".join(str(r[0]) for r in rows)
    finally:
        con.close()


def blob_ids(data_dir: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    root = data_dir / "blobs"
    if not root.is_dir():
        return found
    for shard in root.iterdir():
        if shard.is_dir():
            for entry in shard.iterdir():
                found[entry.name] = entry
        else:
            found[shard.name] = shard
    return found


def temp_files(data_dir: Path) -> list[Path]:
    root = data_dir / "tmp"
    return sorted(root.iterdir()) if root.is_dir() else []


@dataclass
class DiskState:
    orphans: list[str]
    missing_blobs: list[str]
    misplaced: list[str]
    temps: list[str]
    rows: int
    blobs: int

    @property
    def clean(self) -> bool:
        return not (self.orphans or self.missing_blobs or self.misplaced or self.temps)


def disk_state(data_dir: Path) -> DiskState:
    rows = db_blob_owner_ids(data_dir)
    blobs = blob_ids(data_dir)
    misplaced = [str(p) for name, p in blobs.items() if p.parent.name != name[-2:]]
    return DiskState(
        orphans=sorted(set(blobs) - rows),
        missing_blobs=sorted(rows - set(blobs)),
        misplaced=misplaced,
        temps=[p.name for p in temp_files(data_dir)],
        rows=len(rows),
        blobs=len(blobs),
    )


def wait_disk_clean(data_dir: Path, timeout: float = 60.0) -> tuple[DiskState, float]:
    """Polls until recovery has removed orphans and temp files (or the timeout passes)."""
    began = time.monotonic()
    while True:
        state = disk_state(data_dir)
        if state.clean or time.monotonic() - began > timeout:
            return state, time.monotonic() - began
        time.sleep(0.2)


# ---------------------------------------------------------------- API walk


def walk_files(client: httpx2.Client, *, limit: int = 500, order: str = "asc", purpose: str | None = None) -> tuple[list[dict], list[str]]:
    """Every file through GET /v1/files with `after` paging; returns (files, problems)."""
    files: list[dict] = []
    problems: list[str] = []
    seen: set[str] = set()
    after: str | None = None
    for _ in range(100_000):
        params: dict[str, str | int] = {"limit": limit, "order": order}
        if after:
            params["after"] = after
        if purpose:
            params["purpose"] = purpose
        r = client.get("/v1/files", params=params)
        if r.status_code != 200:
            problems.append(f"GET /v1/files {params} -> {r.status_code} {r.text[:300]}")
            break
        page = r.json()
        for f in page["data"]:
            if f["id"] in seen:
                problems.append(f"duplicate id {f['id']} in list walk")
            seen.add(f["id"])
            files.append(f)
        if not page["has_more"]:
            break
        if not page["data"]:
            problems.append("has_more true on an empty page")
            break
        after = page["data"][-1]["id"]
    return files, problems


# ---------------------------------------------------------------- tally


@dataclass
class Tally:
    """Counts checks; keeps the first few failure messages of each kind."""

    passed: int = 0
    failed: int = 0
    failures: dict[str, list[str]] = field(default_factory=dict)
    failure_counts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, ok: bool, kind: str, detail: str = "") -> bool:
        with self.lock:
            if ok:
                self.passed += 1
            else:
                self.failed += 1
                self.failure_counts[kind] = self.failure_counts.get(kind, 0) + 1
                shown = self.failures.setdefault(kind, [])
                if len(shown) < 5:
                    shown.append(detail)
        return ok

    def report(self) -> None:
        if self.failed:
            print("\nFAILURES:")
            for kind, messages in self.failures.items():
                print(f"  {kind}: {self.failure_counts[kind]}")
                for m in messages:
                    print(f"    - {m}")
        print()
        print(f"{self.passed} passed, {self.failed} failed", flush=True)

    def exit(self) -> None:
        sys.stdout.flush()
        sys.exit(1 if self.failed else 0)

    def finish(self, work: Path, keep: bool) -> None:
        """The end of every script: keep the work dir when something failed (or when asked), else
        remove it; print the failures and the `N passed, M failed` line; exit non-zero on a failure."""
        if self.failed or keep:
            print(f"  kept for inspection: {work} (data dir and server logs)")
        else:
            shutil.rmtree(work, ignore_errors=True)
        self.report()
        self.exit()
