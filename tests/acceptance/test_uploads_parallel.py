"""Uploads under concurrency: parts sent in parallel and completed in any order, and requests racing
for the same Upload (complete against complete, complete against cancel, parts against cancel)."""

from __future__ import annotations

import hashlib
import os
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest
from openai.types.uploads import UploadPart

from helpers import assert_error

KB = 1024
PNG = "image/png"  # the Uploads here are purpose=vision (downloadable by default), so they declare an image type


def new_upload(client: openai.OpenAI, size: int, filename: str = "par.bin") -> openai.types.Upload:
    return client.uploads.create(bytes=size, filename=filename, mime_type=PNG, purpose="vision")


def outcome(call: Callable[[], object]) -> object:
    """The call's result, or the SDK error it raised."""
    try:
        return call()
    except openai.APIStatusError as e:
        return e


def test_parts_sent_in_parallel_are_joined_in_part_ids_order(client: openai.OpenAI) -> None:
    rng = random.Random(7)
    chunks = [os.urandom(rng.randrange(1, 700 * KB)) for _ in range(24)]
    upload = new_upload(client, sum(map(len, chunks)))
    with ThreadPoolExecutor(max_workers=8) as pool:
        parts = list(pool.map(lambda c: client.uploads.parts.create(upload_id=upload.id, data=c), chunks))
    assert len({p.id for p in parts}) == len(parts), "parts sent at the same time still get distinct ids"
    assert all(p.upload_id == upload.id for p in parts)

    order = list(range(len(chunks)))
    rng.shuffle(order)
    done = client.uploads.complete(upload.id, part_ids=[parts[i].id for i in order])
    assert done.file is not None
    want = b"".join(chunks[i] for i in order)
    got = client.files.content(done.file.id).read()
    assert len(got) == len(want)
    assert hashlib.sha256(got).hexdigest() == hashlib.sha256(want).hexdigest(), "the File's bytes follow part_ids, not arrival order"


def test_several_uploads_in_parallel_keep_their_own_parts(client: openai.OpenAI) -> None:
    payloads = [os.urandom(300 * KB + i) for i in range(6)]

    def upload_one(payload: bytes) -> str:
        done = client.uploads.upload_file_chunked(file=payload, filename="many.bin", bytes=len(payload), mime_type=PNG, purpose="vision", part_size=64 * KB)
        assert done.file is not None
        return done.file.id

    with ThreadPoolExecutor(max_workers=6) as pool:
        file_ids = list(pool.map(upload_one, payloads))
    for file_id, payload in zip(file_ids, payloads, strict=True):
        assert client.files.content(file_id).read() == payload


def race(*calls: Callable[[], object]) -> list[object]:
    """Run the calls at the same moment, one thread each."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], object]) -> object:
        start.wait()
        return outcome(call)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def files_named(client: openai.OpenAI, names: set[str]) -> dict[str, list[str]]:
    """filename -> ids of the Files with that name, for the given names (one listing for a whole test)."""
    found: dict[str, list[str]] = {}
    for f in client.files.list():
        if f.filename in names:
            found.setdefault(f.filename, []).append(f.id)
    return found


RACES = 25  # the window is narrow: one race rarely shows a lost update, 25 usually do


def test_two_completes_make_one_file(client: openai.OpenAI) -> None:
    want: dict[str, list[str]] = {}  # filename -> the one File it must have
    for attempt in range(RACES):
        payload = os.urandom(2 * 1024 * KB)
        name = f"twice-{attempt}-{os.urandom(4).hex()}.bin"
        upload = new_upload(client, len(payload), filename=name)
        ids = [client.uploads.parts.create(upload_id=upload.id, data=payload[i : i + 256 * KB]).id for i in range(0, len(payload), 256 * KB)]
        results = race(lambda: client.uploads.complete(upload.id, part_ids=ids), lambda: client.uploads.complete(upload.id, part_ids=ids))
        where = f"race {attempt + 1}/{RACES}, {upload.id}"

        won = [r for r in results if isinstance(r, openai.types.Upload)]
        lost = [r for r in results if isinstance(r, openai.APIStatusError)]
        assert len(won) == 1 and len(lost) == 1, f"{where}: exactly one complete wins: {results!r}"
        assert lost[0].status_code == 400, f"{where}: the complete that lost must be a 400, got {lost[0].status_code}: {lost[0].response.text}"
        assert_error(lost[0], 400)
        assert won[0].file is not None
        assert client.files.content(won[0].file.id).read() == payload, where
        want[name] = [won[0].file.id]
    assert files_named(client, set(want)) == want, "two completes of one Upload make one File"


def test_complete_racing_cancel_has_one_winner(client: openai.OpenAI) -> None:
    made: set[str] = set()
    want: dict[str, list[str]] = {}  # filename -> its File, when complete won
    for attempt in range(RACES):
        payload = os.urandom(1024 * KB)
        name = f"race-{attempt}-{os.urandom(4).hex()}.bin"
        made.add(name)
        upload = new_upload(client, len(payload), filename=name)
        ids = [client.uploads.parts.create(upload_id=upload.id, data=payload).id]
        completed, cancelled = race(lambda: client.uploads.complete(upload.id, part_ids=ids), lambda: client.uploads.cancel(upload.id))
        where = f"race {attempt + 1}/{RACES}, {upload.id}"

        if isinstance(completed, openai.types.Upload):
            assert isinstance(cancelled, openai.APIStatusError), f"{where}: both complete and cancel succeeded: {completed!r} {cancelled!r}"
            assert_error(cancelled, 400)
            assert completed.file is not None, where
            assert client.files.content(completed.file.id).read() == payload, where
            want[name] = [completed.file.id]
        else:
            assert isinstance(completed, openai.APIStatusError), where
            assert completed.status_code == 400, f"{where}: the complete that lost to cancel must be a 400, got {completed.status_code}: {completed.response.text}"
            assert_error(completed, 400)
            assert isinstance(cancelled, openai.types.Upload) and cancelled.status == "cancelled", f"{where}: neither won: {cancelled!r}"
        for late in (lambda: client.uploads.cancel(upload.id), lambda: client.uploads.complete(upload.id, part_ids=ids)):
            with pytest.raises(openai.BadRequestError):
                late()
    assert files_named(client, made) == want, "only the Uploads that completed made a File"


def test_parts_racing_cancel_are_refused_or_dropped(client: openai.OpenAI) -> None:
    upload = new_upload(client, 10)
    calls: list[Callable[[], object]] = [lambda: client.uploads.parts.create(upload_id=upload.id, data=os.urandom(128 * KB)) for _ in range(6)]
    results = race(*calls, lambda: client.uploads.cancel(upload.id))
    assert isinstance(results[-1], openai.types.Upload) and results[-1].status == "cancelled", results[-1]
    for r in results[:-1]:
        if isinstance(r, openai.APIStatusError):
            assert_error(r, 400)
        else:
            assert isinstance(r, UploadPart), r
    with pytest.raises(openai.BadRequestError):
        client.uploads.parts.create(upload_id=upload.id, data=b"late")
