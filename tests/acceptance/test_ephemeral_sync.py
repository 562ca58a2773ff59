"""`serve --ephemeral` syncs nothing (its directory goes at exit), the default syncs every
acknowledged write. Counted with strace attached to the running server: the syscalls are the
behaviour, so a regression either way fails here rather than as a slower benchmark."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import openai
from mockfiles_kit import Server

SYNC_CALLS = ("fsync", "fdatasync", "sync_file_range", "syncfs", "msync")

@contextmanager
def sync_calls(pid: int, out: Path) -> Iterator[list[str]]:
    """The sync syscalls any thread of `pid` makes inside the block."""
    strace = shutil.which("strace")
    assert strace, "strace is missing (scripts/test installs it)"
    # -y: each descriptor with its path, so the database's syncs can be told from the blobs'.
    tracer = subprocess.Popen(
        [strace, "-f", "-qq", "-y", "-p", str(pid), "-e", "trace=" + ",".join(SYNC_CALLS), "-o", str(out)], stderr=subprocess.PIPE
    )
    time.sleep(1.5)  # attached to every thread before the writes begin
    assert tracer.poll() is None, f"strace could not attach: {tracer.stderr.read().decode() if tracer.stderr else ''}"
    calls: list[str] = []
    try:
        yield calls
    finally:
        tracer.send_signal(2)  # SIGINT: strace detaches and flushes
        tracer.wait(timeout=30)
        calls.extend(line for line in out.read_text().splitlines() if line.split("(")[0].split()[-1] in SYNC_CALLS)


# Enough single-file commits to fill SQLite's WAL past its automatic checkpoint (1,000 pages):
# a checkpoint syncs unless `synchronous = OFF` holds on the writer, and GRDB once reset it to
# NORMAL behind the store's back (bench/README.md, row 6e).
CHECKPOINT_FILES = 400


def write_things(client: openai.OpenAI, files: int) -> None:
    for n in range(files):
        client.files.create(file=(f"f{n}.txt", b"x" * 100), purpose="user_data")
    upload = client.uploads.create(bytes=3, filename="u.txt", mime_type="text/plain", purpose="user_data")
    part = client.uploads.parts.create(upload.id, data=b"abc")
    client.uploads.complete(upload.id, part_ids=[part.id])


def test_ephemeral_syncs_nothing_and_the_default_syncs_each_write(
    tmp_path: Path, make_client: Callable[..., openai.OpenAI]
) -> None:
    counts = {}
    wal_syncs = {}
    for name, data_dir, files in (("ephemeral", None, CHECKPOINT_FILES), ("durable", tmp_path / "data", 5)):
        server = Server.start(data_dir, tmp_path / f"logs-{name}")
        try:
            client = make_client(server.base_url)
            client.files.list()  # the first request's one-off work happens before the trace
            with sync_calls(server.pid, tmp_path / f"strace-{name}.txt") as calls:
                write_things(client, files)
            counts[name] = len(calls)
            wal_syncs[name] = sum("mockfiles.sqlite-wal>" in call for call in calls)
            assert len(client.files.list().data) == files + 1, name
        finally:
            assert server.stop(timeout=30) == 0, server.output()
    assert counts["ephemeral"] == 0, f"--ephemeral synced ({CHECKPOINT_FILES} files, past a WAL checkpoint): {counts}"
    # Each of the 6 files: its bytes and its directory entry; the database commits besides.
    assert counts["durable"] >= 12, f"the durable default synced too little: {counts}"
    # Each of the 8 commits (5 files, the Upload, its Part, its completion) syncs SQLite's WAL
    # before its answer: `synchronous = FULL`, not the NORMAL that syncs only at checkpoints.
    assert wal_syncs["durable"] >= 8, f"the durable default's commits did not sync the WAL: {wal_syncs}"
