"""Uploads on disk: a pending Upload survives a restart, and Part bytes do not outlive their Upload
(joined into one File on complete, removed on cancel)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openai
import pytest
from mockfiles_kit import Server

KB = 1024
PNG = "image/png"  # the Uploads here are purpose=vision (downloadable by default), so they declare an image type


def holders(data_dir: Path, *markers: bytes) -> list[Path]:
    """Files in the data dir holding any of the markers."""
    found = []
    for p in data_dir.rglob("*"):
        if p.is_file():
            content = p.read_bytes()
            if any(m in content for m in markers):
                found.append(p)
    return found


def wait_for_holders(data_dir: Path, *markers: bytes, count: int) -> list[Path]:
    """Files in the data dir holding any marker, once there are `count` of them (or after 5 s)."""
    deadline = time.monotonic() + 5
    found = holders(data_dir, *markers)
    while len(found) != count and time.monotonic() < deadline:
        time.sleep(0.1)
        found = holders(data_dir, *markers)
    return found


@pytest.fixture(scope="module")
def own_server(start_server: Callable[..., Server]) -> Server:
    """A server of this module's own, so its data dir holds only what these tests put there."""
    return start_server()


def test_pending_upload_survives_a_restart(start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI]) -> None:
    first = start_server()
    client = make_client(first.base_url)
    chunks = [os.urandom(200 * KB), os.urandom(100 * KB + 1), os.urandom(7)]
    upload = client.uploads.create(bytes=sum(map(len, chunks)), filename="restart.bin", mime_type=PNG, purpose="vision")
    ids = [client.uploads.parts.create(upload_id=upload.id, data=c).id for c in chunks[:2]]
    cancelled = client.uploads.create(bytes=1, filename="c.bin", mime_type=PNG, purpose="vision")
    client.uploads.cancel(cancelled.id)
    assert first.stop() == 0, f"SIGTERM should stop mockfiles cleanly\n{first.output()}"

    second = start_server(data_dir=first.data_dir)
    client = make_client(second.base_url)
    ids += [client.uploads.parts.create(upload_id=upload.id, data=chunks[2]).id]
    done = client.uploads.complete(upload.id, part_ids=ids)
    assert done.status == "completed" and done.file is not None
    assert (done.created_at, done.expires_at) == (upload.created_at, upload.expires_at)
    assert client.files.content(done.file.id).read() == b"".join(chunks)
    with pytest.raises(openai.BadRequestError):
        client.uploads.parts.create(upload_id=cancelled.id, data=b"x")


@pytest.mark.blobs_on_disk
def test_complete_leaves_one_copy_of_the_bytes(make_client: Callable[..., openai.OpenAI], own_server: Server) -> None:
    client = make_client(own_server.base_url)
    marker = os.urandom(32)
    chunks = [marker + os.urandom(64 * KB), os.urandom(64 * KB)]
    upload = client.uploads.create(bytes=sum(map(len, chunks)), filename="once.bin", mime_type=PNG, purpose="vision")
    ids = [client.uploads.parts.create(upload_id=upload.id, data=c).id for c in chunks]
    assert len(wait_for_holders(own_server.data_dir, marker, count=1)) == 1, "the part is stored once"
    done = client.uploads.complete(upload.id, part_ids=ids)
    assert done.file is not None
    found = wait_for_holders(own_server.data_dir, marker, count=1)
    assert len(found) == 1, f"after complete only the File holds the bytes, the Parts are gone: {found}"

    client.files.delete(done.file.id)
    assert wait_for_holders(own_server.data_dir, marker, count=0) == [], "deleting the File removes its bytes"


@pytest.mark.blobs_on_disk
def test_cancel_removes_the_parts(make_client: Callable[..., openai.OpenAI], own_server: Server) -> None:
    client = make_client(own_server.base_url)
    markers = [os.urandom(32) for _ in range(3)]
    upload = client.uploads.create(bytes=3 * (32 + 1000), filename="gone.bin", mime_type=PNG, purpose="vision")
    for m in markers:
        client.uploads.parts.create(upload_id=upload.id, data=m + b"z" * 1000)
    assert client.uploads.cancel(upload.id).status == "cancelled"
    assert wait_for_holders(own_server.data_dir, *markers, count=0) == [], "a cancelled Upload's Parts leave nothing behind"


@pytest.mark.blobs_on_disk
def test_unused_parts_do_not_outlive_complete(make_client: Callable[..., openai.OpenAI], own_server: Server) -> None:
    client = make_client(own_server.base_url)
    unused = os.urandom(32)
    # Parts never hold more than the Upload's bytes, so only what the listed ones leave room for
    # can be left out: here the bytes of a part that is refused, and an empty part.
    upload = client.uploads.create(bytes=4, filename="pick.bin", mime_type=PNG, purpose="vision")
    used = client.uploads.parts.create(upload_id=upload.id, data=b"used")
    with pytest.raises(openai.BadRequestError):
        client.uploads.parts.create(upload_id=upload.id, data=unused + b"left out")
    empty = client.uploads.parts.create(upload_id=upload.id, data=b"")
    done = client.uploads.complete(upload.id, part_ids=[used.id])
    assert done.file is not None
    assert client.files.content(done.file.id).read() == b"used"
    assert wait_for_holders(own_server.data_dir, unused, count=0) == [], "a refused Part's bytes are dropped at once"
    deadline = time.monotonic() + 5
    while list(own_server.data_dir.rglob(empty.id)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(own_server.data_dir.rglob(empty.id)) == [], "a Part left out of part_ids is dropped on complete"


@pytest.mark.blobs_on_disk
def test_parts_added_while_complete_runs_do_not_outlive_it(make_client: Callable[..., openai.OpenAI], own_server: Server) -> None:
    """Parts that reach the Upload while `complete` is joining the listed ones are not in the File;
    once the Upload is completed nothing refers to them, so their bytes must go too. (The listed
    Part already holds the Upload's bytes, so a late one is refused either way: as past the bytes
    or as too late; its bytes must go all the same.)"""
    client = make_client(own_server.base_url)
    markers: list[bytes] = []
    for _ in range(10):
        payload = os.urandom(2 * 1024 * KB)  # big enough that joining it takes a moment
        upload = client.uploads.create(bytes=len(payload), filename="busy.bin", mime_type=PNG, purpose="vision")
        ids = [client.uploads.parts.create(upload_id=upload.id, data=payload).id]
        late = [os.urandom(32) for _ in range(4)]
        markers += late
        start = threading.Barrier(1 + len(late))

        def complete() -> object:
            start.wait()
            return client.uploads.complete(upload.id, part_ids=ids)

        def add(marker: bytes) -> object:
            start.wait()
            try:
                return client.uploads.parts.create(upload_id=upload.id, data=marker + os.urandom(100 * KB))
            except openai.BadRequestError:
                return None  # too late: the Upload was already completed

        with ThreadPoolExecutor(max_workers=1 + len(late)) as pool:
            done = pool.submit(complete)
            for f in [pool.submit(add, m) for m in late]:
                f.result()
            assert done.result().status == "completed"  # type: ignore[attr-defined]

    left = wait_for_holders(own_server.data_dir, *markers, count=0)
    assert not left, f"{len(left)} Part blob(s) left on disk after their Upload completed without them: {sorted(map(str, left))[:5]}"
