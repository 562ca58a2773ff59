"""Start and stop a real `mockfiles serve` process on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx2

REPO_ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


def binary_path() -> Path:
    path = Path(os.environ.get("MOCKFILES_BIN", REPO_ROOT / ".build" / "release" / "mockfiles"))
    return path if path.is_absolute() else REPO_ROOT / path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, limit: int = 8000) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return "<no output>"
    return text[-limit:] if text else "<empty>"


@dataclass
class Server:
    """One running `mockfiles serve`; `base_url` ends in /v1 like OPENAI_BASE_URL."""

    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path
    log_dir: Path
    args: list[str]
    returncode: int | None = field(default=None)

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    def output(self) -> str:
        return f"--- stderr ---\n{_tail(self.log_dir / 'stderr.log')}\n--- stdout ---\n{_tail(self.log_dir / 'stdout.log')}"

    @classmethod
    def start(cls, data_dir: Path, log_dir: Path, extra_args: list[str]) -> Server:
        binary = binary_path()
        if not os.access(binary, os.X_OK):
            raise RuntimeError(f"server binary {binary} is missing or not executable; build it or set MOCKFILES_BIN")
        data_dir.mkdir(parents=True, exist_ok=True)
        log_dir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        args = [str(binary), "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir), *extra_args]
        with open(log_dir / "stdout.log", "ab") as out, open(log_dir / "stderr.log", "ab") as err:
            process = subprocess.Popen(args, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=REPO_ROOT)
        server = cls(process=process, port=port, data_dir=data_dir, log_dir=log_dir, args=args)
        server._wait_ready()
        return server

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        last = "no answer yet"
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                self.returncode = code
                raise RuntimeError(f"mockfiles exited with {code} before /health answered\n$ {' '.join(self.args)}\n{self.output()}")
            try:
                r = httpx2.get(f"{self.root_url}/health", timeout=2.0)
                if r.status_code == 200:
                    return
                last = f"HTTP {r.status_code}: {r.text[:200]}"
            except httpx2.TransportError as e:
                last = repr(e)
            time.sleep(0.1)
        self.process.kill()
        self.process.wait()
        raise RuntimeError(f"mockfiles did not answer GET /health with 200 within {READY_TIMEOUT:.0f}s (last: {last})\n{self.output()}")

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM, wait up to `timeout`; kill and raise if it does not exit."""
        if self.returncode is not None:
            return self.returncode
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                self.returncode = self.process.returncode
                raise AssertionError(f"mockfiles did not exit within {timeout:.0f}s of SIGTERM\n{self.output()}") from None
        self.returncode = self.process.returncode
        return self.returncode
