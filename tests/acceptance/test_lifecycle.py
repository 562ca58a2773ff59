"""The server process: graceful stop on SIGTERM, files kept across restarts, a busy port, SDK helpers."""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx2
import openai
import pytest
from mockfiles_kit import Server, binary_path


def test_files_survive_a_restart(start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI]) -> None:
    first = start_server()
    client = make_client(first.base_url)
    payload = os.urandom(3 * 1024 * 1024 + 17)
    kept = client.files.create(file=("kept.bin", payload), purpose="vision")  # vision: downloadable by default
    batch = client.files.create(file=("b.jsonl", b'{"x": 1}\n'), purpose="batch")
    gone = client.files.create(file=("gone.txt", b"gone"), purpose="user_data")
    client.files.delete(gone.id)
    assert first.stop() == 0, f"SIGTERM should stop mockfiles cleanly\n{first.output()}"

    second = start_server(data_dir=first.data_dir)
    client = make_client(second.base_url)
    assert client.files.retrieve(kept.id) == kept
    assert client.files.retrieve(batch.id) == batch
    assert hashlib.sha256(client.files.content(kept.id).read()).digest() == hashlib.sha256(payload).digest()
    assert {f.id for f in client.files.list()} == {kept.id, batch.id}


def test_wait_for_processing_returns_at_once(client: openai.OpenAI) -> None:
    f = client.files.create(file=("w.txt", b"w"), purpose="user_data")
    done = client.files.wait_for_processing(f.id, poll_interval=0.1, max_wait_seconds=10)
    assert done.status == "processed"


def test_a_second_server_on_a_busy_port_exits_at_once(start_server: Callable[..., Server], tmp_path: Path) -> None:
    """78 (EX_CONFIG) within seconds, one clear line on stderr, no retry loop; the first server is unharmed."""
    first = start_server()
    args = [str(binary_path()), "serve", "--host", "127.0.0.1", "--port", str(first.port), "--data-dir", str(tmp_path / "data")]
    started = time.monotonic()
    try:
        run = subprocess.run(args, capture_output=True, timeout=30, stdin=subprocess.DEVNULL, cwd=tmp_path)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"a second server on a busy port still ran after 30 s; stderr: {(e.stderr or b'')[-2000:]!r}", pytrace=False)
    took = time.monotonic() - started
    stderr = run.stderr.decode(errors="replace")
    assert run.returncode == 78, f"exit {run.returncode}, want 78\n{stderr[-2000:]}"
    assert took < 5, f"took {took:.1f}s to give up"
    wanted = f"cannot listen on 127.0.0.1:{first.port}: address already in use"
    assert sum(wanted in line for line in stderr.splitlines()) == 1, f"want one line containing {wanted!r}:\n{stderr[-2000:]}"
    assert len(run.stderr) < 4096, f"stderr is {len(run.stderr)} bytes: a loop or a backtrace?\n{stderr[:2000]}"
    assert first.process.poll() is None and httpx2.get(f"{first.root_url}/health", timeout=5).status_code == 200
