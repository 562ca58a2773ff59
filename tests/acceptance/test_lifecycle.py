"""The server process: graceful stop on SIGTERM, files kept across restarts, SDK helpers."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable

import openai

from mockserver import Server


def test_files_survive_a_restart(start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI]) -> None:
    first = start_server()
    client = make_client(first.base_url)
    payload = os.urandom(3 * 1024 * 1024 + 17)
    kept = client.files.create(file=("kept.bin", payload), purpose="user_data")
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
