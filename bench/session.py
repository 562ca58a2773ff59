"""One benchmark run: its settings, work dir, seeded stores, the servers it started and the rows measured.

Also the vocabulary every measurement uses: `BenchError` (something broke, so the run exits 1), the
progress `log` on stderr, and `run_command`. Servers are mockfiles_kit's, with what a benchmark adds:
a name, a quiet log level, and a stop that fails loudly when the server did not exit cleanly.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from argparse import Namespace
from pathlib import Path
from typing import TYPE_CHECKING

from mockfiles_kit import Server, ServerError

from settings import SEED_PURPOSES, SIZES

if TYPE_CHECKING:
    from nginx import Nginx


class BenchError(Exception):
    """Something broke: the run exits non-zero."""


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_command(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise BenchError(f"{' '.join(cmd)} exited {result.returncode}: {result.stderr.strip()[-2000:]}")
    return result


class BenchServer:
    """A named `mockfiles serve --log-level warning`; its logs in `logs/server-NAME/`."""

    def __init__(self, binary: str, data_dir: Path | None, logs: Path, name: str, extra: list[str] | None = None):
        self.name = name
        self.extra = list(extra or [])
        self.log_dir = logs / f"server-{name}"
        self.server = Server(data_dir, self.log_dir, ["--log-level", "warning", *(extra or [])], binary=binary)
        self.live = False

    def start(self, timeout: float = 120) -> float:
        """Starts the server; returns seconds from spawn to the first 200 on /health."""
        try:
            seconds = self.server.spawn(timeout)
        except ServerError as e:
            raise BenchError(f"mockfiles ({self.name}) did not start: {str(e).splitlines()[0]}; see {self.log_dir}") from None
        self.live = True
        return seconds

    @property
    def pid(self) -> int:
        assert self.server.pid is not None
        return self.server.pid

    @property
    def base(self) -> str:
        return self.server.root_url

    def stop(self, timeout: float = 60) -> float:
        """SIGTERM; returns the seconds to exit. Raises unless it exits 0 within `timeout`."""
        if not self.live:
            return 0.0
        self.live = False
        if not self.server.running():
            code = self.server.stop()
            if code != 0:
                raise BenchError(f"mockfiles ({self.name}) had exited by itself with {code}")
            return 0.0
        t0 = time.perf_counter()
        code = self.server.stop(timeout)
        if code is None:
            raise BenchError(f"mockfiles ({self.name}) did not stop within {timeout} s of SIGTERM (killed)")
        if code != 0:
            raise BenchError(f"mockfiles ({self.name}) exited {code} after SIGTERM; see {self.log_dir}")
        return time.perf_counter() - t0

    def log_problems(self) -> list[str]:
        lines: list[str] = []
        for path in (self.server.stderr_path, self.server.stdout_path):
            if path.exists():
                lines += path.read_text(errors="replace").splitlines()
        return [l for l in lines if re.search(r"\b(error|critical|fatal|panic)\b", l, re.I) or "Fatal error" in l][:50]


class Session:
    """What the measurements of one run share; each appends its rows, notes and details here."""

    def __init__(self, args: Namespace, nginx: Nginx):
        self.args = args
        self.mode = "quick" if args.quick else "full"
        self.size = SIZES[self.mode]
        self.binary = args.bin
        # The references of rows 1 hb, 1 nio and 8 pg (bench/ceiling), when built.
        self.ceilings = {name: path for name, path in (("hummingbird", args.ceiling_hummingbird_bin),
                                                       ("nio", args.ceiling_nio_bin),
                                                       ("postgres", args.ceiling_postgres_bin)) if path}
        self.work = Path(args.work_dir).resolve()
        self.out = Path(args.out).resolve()
        self.logs = self.out.parent / "logs"
        self.rows: list[dict] = []
        self.errors: list[str] = []
        self.details: dict = {}
        self.notes: list[str] = []
        self.servers: list[BenchServer] = []
        self.nginx = nginx
        self.stores: dict[int, Path] = {}

    def server(self, data_dir: Path | None, name: str, extra: list[str] | None = None) -> BenchServer:
        s = BenchServer(self.binary, data_dir, self.logs, name, extra)
        self.servers.append(s)
        return s

    def binary_mtimes(self) -> set[float]:
        """One per build the servers ran: more than one means the binary changed during the run."""
        return set().union(*(s.server.binary_mtimes for s in self.servers))

    def seed(self, count: int) -> Path:
        """A data dir with `count` files made by `mockfiles seed` (made once per run, shared by measurements)."""
        if count in self.stores:
            return self.stores[count]
        d = self.work / f"store-{count}"
        shutil.rmtree(d, ignore_errors=True)
        log(f"seeding {count} files into {d}")
        t0 = time.perf_counter()
        r = run_command([self.binary, "seed", "--data-dir", str(d), "--count", str(count), "--purposes",
                         ",".join(SEED_PURPOSES), "--bytes", "64", "--files-per-second", "1000", "--id-seed", str(count)])
        seconds = time.perf_counter() - t0
        self.details.setdefault("seeding", {})[str(count)] = dict(seconds=round(seconds, 2), output=r.stdout.strip())
        log(f"  {r.stdout.strip()} ({seconds:.1f} s wall)")
        self.stores[count] = d
        return d
