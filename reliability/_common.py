"""What the reliability scripts share beyond mockfiles_kit (the process harness and the check tally): their
server on a work dir, the data dir seen from outside (SQLite rows, blobs, temp files), a full list walk, and a
timestamped log line.

Every network target is 127.0.0.1. The server binary is MOCKFILES_BIN or <repo>/.build/release/mockfiles.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx2
from mockfiles_kit import API_KEY, Server, Tally, use_checkout_binary

REPO_ROOT = Path(__file__).resolve().parents[1]
use_checkout_binary(REPO_ROOT)
AUTH = {"Authorization": f"Bearer {API_KEY}"}
BINARY_WAIT = 900.0  # the binary may be mid-rebuild (a build beside a long run): wait for it rather than fail


def work_server(work: Path, extra_args: Iterable[str] = ()) -> Server:
    """A server on work/data with its logs in work/logs, not started yet (the scripts restart it)."""
    return Server(work / "data", work / "logs", extra_args, binary_wait=BINARY_WAIT)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def check_clean_stop(tally: Tally, server: Server) -> None:
    """The end of every run: SIGTERM, the server exits 0, and its data dir is left clean."""
    code = server.stop()
    tally.check(code == 0, "server exits 0 on SIGTERM", f"exit {code}\n{server.output()}")
    final = disk_state(server.data_dir)
    tally.check(final.clean, "data dir clean after graceful stop", str(final))


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
