"""GET /v1/files/{id} and /content: byte-exact downloads, ranges, HEAD, refusals."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import httpx2
import openai
import pytest

from helpers import assert_error

ALL_BYTES = bytes(range(256))
MB = 1024 * 1024
NO_GZIP = {"Accept-Encoding": "identity"}


@pytest.fixture(scope="module")
def binary_file(client: openai.OpenAI) -> openai.types.FileObject:
    return client.files.create(file=("all-bytes.bin", ALL_BYTES), purpose="vision")  # vision downloads by default (test_fidelity)


def test_retrieve_returns_the_created_object(client: openai.OpenAI, binary_file: openai.types.FileObject) -> None:
    assert client.files.retrieve(binary_file.id) == binary_file


def test_content_is_byte_exact_for_all_256_byte_values(client: openai.OpenAI, binary_file: openai.types.FileObject) -> None:
    assert client.files.content(binary_file.id).read() == ALL_BYTES


def test_content_of_an_empty_file(client: openai.OpenAI) -> None:
    f = client.files.create(file=("empty.txt", b""), purpose="vision")
    assert f.bytes == 0
    assert client.files.content(f.id).read() == b""


def test_100_mb_file_round_trips_byte_exact(client: openai.OpenAI, tmp_path: Path) -> None:
    path, sent = tmp_path / "big.bin", hashlib.sha256()
    with path.open("wb") as out:
        for _ in range(100):
            chunk = os.urandom(MB)
            sent.update(chunk)
            out.write(chunk)
    with path.open("rb") as fh:
        f = client.files.create(file=("big.bin", fh), purpose="vision")
    assert f.bytes == 100 * MB
    got, size = hashlib.sha256(), 0
    with client.files.with_streaming_response.content(f.id) as response:
        for chunk in response.iter_bytes():
            got.update(chunk)
            size += len(chunk)
    assert size == 100 * MB
    assert got.hexdigest() == sent.hexdigest()
    path.unlink()
    client.files.delete(f.id)


def test_assistants_files_cannot_be_downloaded(client: openai.OpenAI) -> None:
    f = client.files.create(file=("manual.pdf", b"%PDF-1.4 tiny"), purpose="assistants")
    with pytest.raises(openai.BadRequestError) as e:
        client.files.content(f.id)
    assert_error(e.value, 400, message="Not allowed to download files of purpose: assistants", param=None, code=None)


def test_content_of_unknown_file_is_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as e:
        client.files.content("file-doesnotexist")
    assert_error(e.value, 404, message="No such File object: file-doesnotexist", param="id")


def test_content_disposition_names_the_file(raw: httpx2.Client, binary_file: openai.types.FileObject) -> None:
    r = raw.get(f"/v1/files/{binary_file.id}/content")
    assert r.status_code == 200
    assert r.headers.get("content-disposition") == 'attachment; filename="all-bytes.bin"'


def test_range_returns_206_with_exact_bytes(raw: httpx2.Client, binary_file: openai.types.FileObject) -> None:
    r = raw.get(f"/v1/files/{binary_file.id}/content", headers={"Range": "bytes=10-19", **NO_GZIP})
    assert r.status_code == 206, r.text
    assert r.headers["content-range"] == "bytes 10-19/256"
    assert r.content == ALL_BYTES[10:20]
    assert r.headers["content-length"] == "10"


@pytest.mark.parametrize(("spec", "start", "end"), [("bytes=250-", 250, 255), ("bytes=-6", 250, 255), ("bytes=0-0", 0, 0), ("bytes=200-999", 200, 255)])
def test_range_forms(raw: httpx2.Client, binary_file: openai.types.FileObject, spec: str, start: int, end: int) -> None:
    r = raw.get(f"/v1/files/{binary_file.id}/content", headers={"Range": spec, **NO_GZIP})
    assert r.status_code == 206, r.text
    assert r.headers["content-range"] == f"bytes {start}-{end}/256"
    assert r.content == ALL_BYTES[start : end + 1]


def test_range_past_the_end_is_416(raw: httpx2.Client, binary_file: openai.types.FileObject) -> None:
    r = raw.get(f"/v1/files/{binary_file.id}/content", headers={"Range": "bytes=256-", **NO_GZIP})
    assert r.status_code == 416, r.text
    assert r.headers.get("content-range") == "bytes */256"


def test_head_gives_length_and_no_body(raw: httpx2.Client, binary_file: openai.types.FileObject) -> None:
    r = raw.head(f"/v1/files/{binary_file.id}/content", headers=NO_GZIP)
    assert r.status_code == 200
    assert r.headers["content-length"] == "256"
    assert r.content == b""


def test_content_without_range_advertises_length(raw: httpx2.Client, binary_file: openai.types.FileObject) -> None:
    r = raw.get(f"/v1/files/{binary_file.id}/content", headers=NO_GZIP)
    assert r.status_code == 200
    assert r.headers.get("content-length") == "256"
    assert r.content == ALL_BYTES


def test_content_disposition_keeps_a_unicode_filename(client: openai.OpenAI, raw: httpx2.Client) -> None:
    f = client.files.create(file=("résumé.txt", b"cv"), purpose="vision")
    r = raw.get(f"/v1/files/{f.id}/content")
    disposition = r.headers.get("content-disposition", "")
    assert disposition.startswith("attachment; filename="), disposition
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9.txt" in disposition, disposition
