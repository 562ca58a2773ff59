"""One `mockfiles serve` process on a free loopback port, for tests, crash runs and benchmarks alike.

Standard library only: the benchmark runs it from a bare `python3`. Readiness is a raw-socket
`GET /health` polled every millisecond while nothing listens, so a start-up can be timed to the
millisecond and no HTTP library is needed. The process writes `stdout.log` and `stderr.log` in its log
dir (appended to across restarts), and every failure to start quotes their tails.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

API_KEY = "sk-test"
HOST = "127.0.0.1"  # every server and every probe stays on loopback
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


class ServerError(RuntimeError):
    """The server could not be started: no binary, it exited early, or it never answered /health."""


def binary_path() -> Path:
    """The server binary: MOCKFILES_BIN, else the one the `mockfiles` wheel installed with this kit, else
    `mockfiles` on PATH (checked when a server starts)."""
    configured = os.environ.get("MOCKFILES_BIN")
    if configured:
        return Path(configured).absolute()
    return bundled_binary() or Path(shutil.which("mockfiles") or "mockfiles")


def bundled_binary() -> Path | None:
    """The binary of the `mockfiles` wheel, which installs it in its environment's scripts directory (a
    venv's bin/, found even when that is not on PATH); None for the kit alone (`mockfiles-kit`)."""
    try:
        files = importlib.metadata.distribution("mockfiles").files or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in files:
        if file.name == "mockfiles" and file.parent.name == "bin":
            path = Path(str(file.locate())).resolve()
            if os.access(path, os.X_OK):
                return path
    return None


def use_checkout_binary(root: Path) -> None:
    """For callers inside a checkout of mockfiles (its tests and scripts): a relative MOCKFILES_BIN is taken
    from `root`, and an unset one means `root/.build/release/mockfiles`, what `scripts/serve` builds."""
    configured = Path(os.environ.get("MOCKFILES_BIN") or ".build/release/mockfiles")
    os.environ["MOCKFILES_BIN"] = str(configured if configured.is_absolute() else root / configured)


def free_port() -> int:
    """A loopback port nothing listens on now (the kernel's choice, so parallel runs do not collide)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def health_status(port: int, timeout: float = 2.0) -> int | None:
    """The status of a raw `GET /health` on loopback: None when nothing answers, -1 for a non-HTTP answer.
    It reads to the server's close (`Connection: close`) rather than hanging up with bytes unread."""
    data = b""
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            s.sendall(f"GET /health HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
            while chunk := s.recv(4096):
                data += chunk
    except OSError:
        if b"\r\n" not in data:
            return None
    parts = data.split(b"\r\n", 1)[0].split(b" ", 2)
    return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else -1


def proc_status_kib(pid: int, field: str) -> int | None:
    """A `kB` field of /proc/PID/status (VmRSS, VmHWM), or None once the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def wait_for_binary(binary: Path, timeout: float) -> None:
    """Waits until `binary` is executable and holds still (a build may be writing it); 0 s checks once."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            first = binary.stat()
            if timeout <= 0 and os.access(binary, os.X_OK):
                return
            time.sleep(0.5)
            second = binary.stat()
            if os.access(binary, os.X_OK) and (first.st_size, first.st_mtime) == (second.st_size, second.st_mtime):
                return
        except FileNotFoundError:
            pass
        if time.monotonic() >= deadline:
            raise ServerError(f"server binary {binary} is missing or not executable; build it or set MOCKFILES_BIN")
        time.sleep(2.0)


def tail(path: Path, limit: int) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return "<no output>"
    return text[-limit:] if text else "<empty>"


class Server:
    """A `mockfiles serve` on `data_dir` (None: `--ephemeral`, a fresh directory the server removes when it
    stops). Constructing it starts nothing: `spawn()` does, and may be called
    again after `stop()` or `kill()` to restart on the same data dir and port. `Server.start(...)` is both."""

    def __init__(
        self,
        data_dir: Path | str | None,
        log_dir: Path | str,
        extra_args: Iterable[str] = (),
        *,
        binary: Path | str | None = None,
        port: int | None = None,
        env: Mapping[str, str] | None = None,
        binary_wait: float = 0.0,
    ) -> None:
        self.binary = Path(binary) if binary is not None else binary_path()
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.log_dir = Path(log_dir)
        self.extra_args = [str(a) for a in extra_args]
        self.port = port or free_port()
        self.env = dict(env or {})
        self.binary_wait = binary_wait
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.binary_mtimes: set[float] = set()  # more than one: the binary was rebuilt between starts

    @classmethod
    def start(cls, data_dir: Path | str | None, log_dir: Path | str, extra_args: Iterable[str] = (), **options: Any) -> Server:
        """A new server, started and answering /health (options as for the constructor)."""
        server = cls(data_dir, log_dir, extra_args, **options)
        server.spawn()
        return server

    @property
    def root_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def base_url(self) -> str:
        """The root URL plus /v1, as OPENAI_BASE_URL wants it."""
        return f"{self.root_url}/v1"

    @property
    def args(self) -> list[str]:
        storage = ["--data-dir", str(self.data_dir)] if self.data_dir is not None else ["--ephemeral"]
        return [str(self.binary), "serve", "--host", HOST, "--port", str(self.port), *storage, *self.extra_args]

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def stdout_path(self) -> Path:
        return self.log_dir / "stdout.log"

    @property
    def stderr_path(self) -> Path:
        return self.log_dir / "stderr.log"

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self, limit: int = 8000) -> str:
        """The tails of both logs, for failure messages."""
        return f"--- stderr ---\n{tail(self.stderr_path, limit)}\n--- stdout ---\n{tail(self.stdout_path, limit)}"

    def spawn(self, timeout: float = READY_TIMEOUT, *, attempts: int = 1) -> float:
        """Starts the process and waits for GET /health 200; returns the seconds from spawn to that answer.
        With `attempts` > 1 a process that exits before answering is tried again on a fresh port (a process
        just killed may still hold the old one)."""
        assert not self.running(), "already running"
        for attempt in range(attempts):
            try:
                return self._spawn_once(timeout)
            except ServerError:
                if self.running() or attempt == attempts - 1:
                    raise
                self.port = free_port()
        raise AssertionError("unreachable")

    def _spawn_once(self, timeout: float) -> float:
        wait_for_binary(self.binary, self.binary_wait)
        self.binary_mtimes.add(self.binary.stat().st_mtime)
        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env} if self.env else None
        with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
            if self.starts:  # restarts are marked; the first start writes nothing, so a JSON log stays JSON
                err.write(f"\n==== start {self.starts + 1} at {time.strftime('%H:%M:%S')} ====\n".encode())
                err.flush()
            began = time.perf_counter()
            self.process = subprocess.Popen(self.args, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        self.starts += 1
        status: int | None = None
        while True:
            status = health_status(self.port)
            elapsed = time.perf_counter() - began
            if status == 200:
                return elapsed
            code = self.process.poll()
            if code is not None:
                raise ServerError(f"mockfiles exited with {code} before /health answered\n$ {' '.join(self.args)}\n{self.output()}")
            if elapsed > timeout:
                self.kill()
                last = "no answer" if status is None else f"HTTP {status}"
                raise ServerError(f"mockfiles did not answer GET /health with 200 within {timeout:.0f}s (last: {last})\n{self.output()}")
            time.sleep(0.001 if status is None else 0.005)

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM (mockfiles finishes in-flight requests and exits 0) and wait; returns the exit code, or
        None when it had to be killed after `timeout`."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self) -> None:
        """SIGKILL, as a crash or a power cut would end it; returns once the process is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait()

    def rss_kib(self) -> int | None:
        """Resident memory now (VmRSS), or None when not running."""
        return proc_status_kib(self.process.pid, "VmRSS") if self.running() and self.process else None
