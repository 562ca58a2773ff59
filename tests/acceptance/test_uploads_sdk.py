"""The Uploads API driven by the official SDK: `upload_file_chunked` of 150 MB, parts by hand, md5,
the File an Upload becomes, and its expiry."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import openai
import pytest

from helpers import assert_error, assert_file_object, assert_part_object, assert_upload_object
from wirecheck import CHECKER

MB = 1024 * 1024
SDK_DEFAULT_PART_SIZE = 64 * MB  # openai.resources.uploads.uploads.DEFAULT_PART_SIZE in 3.54
THIRTY_DAYS = 2592000
# Uploads whose File is downloaded to check its bytes are purpose=vision (downloadable by default), so
# they declare an image MIME type (vision Uploads must); the bytes themselves are not checked.
PNG = "image/png"


@dataclass
class Source:
    path: Path
    size: int
    sha256: str


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    """150 MB (and an odd tail, so no part size divides it) of random bytes on disk."""
    path = tmp_path_factory.mktemp("uploads") / "big-upload.bin"
    digest, size = hashlib.sha256(), 0
    with path.open("wb") as out:
        for chunk_size in [MB] * 150 + [12345]:
            chunk = os.urandom(chunk_size)
            digest.update(chunk)
            out.write(chunk)
            size += chunk_size
    yield Source(path, size, digest.hexdigest())
    path.unlink()  # pytest keeps old temp dirs around; 150 MB each is too much to leave


@dataclass
class Recorder:
    """The SDK with every request it sends recorded (method, path), still wire-checked."""

    client: openai.OpenAI
    sent: list[tuple[str, str]] = field(default_factory=list)

    def paths(self, method: str, pattern: str) -> list[str]:
        return [p for m, p in self.sent if m == method and re.fullmatch(pattern, p)]


@pytest.fixture
def recorder(base_url: str) -> Iterator[Recorder]:
    sent: list[tuple[str, str]] = []

    def record(response: httpx2.Response) -> None:
        sent.append((response.request.method, response.request.url.path))

    http = openai.DefaultHttpxClient(event_hooks={"response": [CHECKER.hook, record]})
    c = openai.OpenAI(base_url=base_url, api_key="sk-test", max_retries=0, http_client=http)
    yield Recorder(c, sent)
    c.close()


def download_sha256(client: openai.OpenAI, file_id: str) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with client.files.with_streaming_response.content(file_id) as response:
        for chunk in response.iter_bytes():
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def all_file_ids(client: openai.OpenAI) -> set[str]:
    return {f.id for f in client.files.list()}  # the SDK pages through all of them


# ---------------------------------------------------------------- upload_file_chunked


@pytest.mark.parametrize("part_size", [8 * MB, None], ids=["8MiB-parts", "sdk-default-64MiB-parts"])
def test_upload_file_chunked_150_mb(recorder: Recorder, big_file: Source, part_size: int | None) -> None:
    client = recorder.client
    upload = client.uploads.upload_file_chunked(
        file=big_file.path, mime_type=PNG, purpose="vision", part_size=part_size
    )

    parts = recorder.paths("POST", rf"/v1/uploads/{re.escape(upload.id)}/parts")
    want_parts = math.ceil(big_file.size / (part_size or SDK_DEFAULT_PART_SIZE))
    assert len(parts) == want_parts, f"the SDK sent {len(parts)} parts, want {want_parts}"
    assert recorder.paths("POST", r"/v1/uploads") and recorder.paths("POST", rf"/v1/uploads/{re.escape(upload.id)}/complete")

    assert upload.status == "completed"
    assert upload.object == "upload"
    assert upload.bytes == big_file.size
    assert upload.filename == big_file.path.name
    assert upload.purpose == "vision"
    assert upload.file is not None, "a completed Upload carries its File"
    f = upload.file
    assert f.id.startswith("file-")
    assert (f.bytes, f.filename, f.purpose, f.status) == (big_file.size, big_file.path.name, "vision", "processed")
    assert f.expires_at is None, "vision files do not expire unless asked"

    assert client.files.retrieve(f.id) == f
    assert download_sha256(client, f.id) == (big_file.size, big_file.sha256)
    assert f.id in all_file_ids(client)
    client.files.delete(f.id)


def test_upload_file_chunked_from_memory(client: openai.OpenAI) -> None:
    payload = os.urandom(3 * MB + 5)
    upload = client.uploads.upload_file_chunked(
        file=payload, filename="in-memory.bin", bytes=len(payload), mime_type=PNG, purpose="vision", part_size=MB
    )
    assert upload.status == "completed" and upload.file is not None
    assert upload.file.bytes == len(payload)
    assert client.files.content(upload.file.id).read() == payload


def test_upload_file_chunked_with_the_right_md5(client: openai.OpenAI, tmp_path: Path) -> None:
    path = tmp_path / "md5.bin"
    path.write_bytes(os.urandom(2 * MB + 1))
    upload = client.uploads.upload_file_chunked(
        file=path, mime_type=PNG, purpose="vision", part_size=MB, md5=hashlib.md5(path.read_bytes()).hexdigest()
    )
    assert upload.status == "completed" and upload.file is not None
    assert client.files.content(upload.file.id).read() == path.read_bytes()


# ---------------------------------------------------------------- create, parts, complete by hand


def test_each_step_answers_the_official_objects(client: openai.OpenAI) -> None:
    chunks = [b"first chunk|", b"second|", b"third and last"]
    total = sum(map(len, chunks))
    created = client.uploads.with_raw_response.create(bytes=total, filename="steps.txt", mime_type="text/plain", purpose="assistants")
    u = created.http_response.json()
    assert_upload_object(u, status="pending", filename="steps.txt", purpose="assistants", size=total)
    assert created.parse().id == u["id"]

    part_ids = []
    for chunk in chunks:
        p = client.uploads.parts.with_raw_response.create(upload_id=u["id"], data=chunk).http_response.json()
        assert_part_object(p, upload_id=u["id"])
        part_ids.append(p["id"])
    assert len(set(part_ids)) == len(part_ids), "part ids are unique"

    done = client.uploads.with_raw_response.complete(u["id"], part_ids=part_ids).http_response.json()
    assert_upload_object(done, status="completed", filename="steps.txt", purpose="assistants", size=total)
    assert {k: done[k] for k in ("id", "created_at", "expires_at")} == {k: u[k] for k in ("id", "created_at", "expires_at")}
    assert done["file"]["expires_at"] is None
    assert client.files.retrieve(done["file"]["id"]).model_dump() == done["file"]


def test_upload_ids_are_unique(client: openai.OpenAI) -> None:
    ids = {client.uploads.create(bytes=1, filename="u.bin", mime_type=PNG, purpose="vision").id for _ in range(20)}
    assert len(ids) == 20


def test_complete_checks_md5(client: openai.OpenAI) -> None:
    chunks = [os.urandom(100_000), os.urandom(54_321)]
    payload = b"".join(chunks)
    upload = client.uploads.create(bytes=len(payload), filename="sum.bin", mime_type=PNG, purpose="vision")
    part_ids = [client.uploads.parts.create(upload_id=upload.id, data=c).id for c in chunks]
    before = all_file_ids(client)

    with pytest.raises(openai.BadRequestError) as e:
        client.uploads.complete(upload.id, part_ids=part_ids, md5="0" * 32)
    assert_error(e.value, 400, param="md5")
    assert all_file_ids(client) == before, "a refused complete creates no File"

    done = client.uploads.complete(upload.id, part_ids=part_ids, md5=hashlib.md5(payload).hexdigest())
    assert done.status == "completed" and done.file is not None, "a refused md5 leaves the Upload pending, so it can be completed"
    assert client.files.content(done.file.id).read() == payload


@pytest.mark.parametrize("md5", ["not-an-md5", "0" * 31, "g" * 32])
def test_complete_rejects_a_malformed_md5(client: openai.OpenAI, md5: str) -> None:
    upload = client.uploads.create(bytes=1, filename="m.bin", mime_type=PNG, purpose="vision")
    part = client.uploads.parts.create(upload_id=upload.id, data=b"m")
    with pytest.raises(openai.BadRequestError) as e:
        client.uploads.complete(upload.id, part_ids=[part.id], md5=md5)
    assert_error(e.value, 400, param="md5")


def test_parts_are_joined_in_part_ids_order(client: openai.OpenAI) -> None:
    chunks = [bytes([i]) * (1000 + i) for i in range(5)]
    upload = client.uploads.create(bytes=sum(map(len, chunks)), filename="order.bin", mime_type=PNG, purpose="vision")
    ids = [client.uploads.parts.create(upload_id=upload.id, data=c).id for c in chunks]
    order = [3, 0, 4, 2, 1]
    done = client.uploads.complete(upload.id, part_ids=[ids[i] for i in order])
    assert done.file is not None
    assert client.files.content(done.file.id).read() == b"".join(chunks[i] for i in order)


def test_part_bytes_are_kept_exactly(client: openai.OpenAI) -> None:
    chunks = [bytes(range(256)), b"\r\n--boundary-lookalike\r\n", b"\x00" * 10, b"tail\r\n"]
    payload = b"".join(chunks)
    upload = client.uploads.create(bytes=len(payload), filename="exact.bin", mime_type=PNG, purpose="vision")
    ids = [client.uploads.parts.create(upload_id=upload.id, data=c).id for c in chunks]
    done = client.uploads.complete(upload.id, part_ids=ids)
    assert done.file is not None
    assert client.files.content(done.file.id).read() == payload


def test_an_empty_upload_completes_with_no_parts(client: openai.OpenAI) -> None:
    upload = client.uploads.create(bytes=0, filename="empty.txt", mime_type=PNG, purpose="vision")
    done = client.uploads.complete(upload.id, part_ids=[])
    assert done.status == "completed" and done.file is not None
    assert done.file.bytes == 0
    assert client.files.content(done.file.id).read() == b""


def test_the_upload_file_is_listed_with_its_purpose(client: openai.OpenAI) -> None:
    payload = json.dumps({"custom_id": "r", "method": "POST", "url": "/v1/chat/completions", "body": {}}).encode() + b"\n"
    upload = client.uploads.upload_file_chunked(file=payload, filename="batch.jsonl", bytes=len(payload), mime_type="text/jsonl", purpose="batch")
    assert upload.file is not None
    assert upload.file.id in {f.id for f in client.files.list(purpose="batch")}
    assert upload.file.id not in {f.id for f in client.files.list(purpose="user_data")}


# ---------------------------------------------------------------- expiry of the File


@pytest.mark.parametrize("seconds", [3600, 86400])
def test_expires_after_applies_to_the_completed_file(client: openai.OpenAI, seconds: int) -> None:
    payload = b"expiring upload"
    created = client.uploads.with_raw_response.create(
        bytes=len(payload), filename="exp.txt", mime_type="text/plain", purpose="user_data", expires_after={"anchor": "created_at", "seconds": seconds}
    ).http_response.json()
    assert_upload_object(created, status="pending", filename="exp.txt", purpose="user_data", size=len(payload))
    part = client.uploads.parts.create(upload_id=created["id"], data=payload)
    done = client.uploads.with_raw_response.complete(created["id"], part_ids=[part.id]).http_response.json()
    assert done["expires_at"] == created["expires_at"], "expires_after is for the File, not the Upload"
    f = done["file"]
    assert_file_object(f, filename="exp.txt", purpose="user_data", size=len(payload))
    assert f["expires_at"] == f["created_at"] + seconds
    assert client.files.retrieve(f["id"]).expires_at == f["created_at"] + seconds


def test_batch_upload_file_expires_after_30_days_by_default(client: openai.OpenAI) -> None:
    payload = b'{"custom_id": "r1", "method": "POST", "url": "/v1/chat/completions", "body": {}}\n'
    upload = client.uploads.upload_file_chunked(file=payload, filename="b.jsonl", bytes=len(payload), mime_type="text/jsonl", purpose="batch")
    assert upload.file is not None
    assert upload.file.expires_at == upload.file.created_at + THIRTY_DAYS


def test_fine_tune_upload_is_not_validated_on_complete(client: openai.OpenAI) -> None:
    """The service completes a fine-tune Upload whatever its bytes (UploadsTests/CompleteUploadWorks, 2025-09-29:
    the bytes 1..8, status completed, the File processed); POST /v1/files still checks the lines."""
    good = json.dumps({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}).encode() + b"\n"
    payload = good * 2 + b"this is not json\n" + good
    upload = client.uploads.create(bytes=len(payload), filename="train.jsonl", mime_type="text/jsonl", purpose="fine-tune")
    part = client.uploads.parts.create(upload_id=upload.id, data=payload)
    done = client.uploads.complete(upload.id, part_ids=[part.id])
    assert done.status == "completed" and done.file is not None
    assert (done.file.status, done.file.purpose, done.file.bytes) == ("processed", "fine-tune", len(payload))
    with pytest.raises(openai.BadRequestError) as e:
        client.files.create(file=("train.jsonl", payload), purpose="fine-tune")
    assert_error(
        e.value,
        400,
        param=None,
        code=None,
        message='Expected file to have JSONL format, where every line is a JSON dictionary. Line 3 is not a dictionary (HINT: line starts with: "this...").',
    )
