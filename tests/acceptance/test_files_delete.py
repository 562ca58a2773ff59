"""DELETE /v1/files/{id} and what a deleted or unknown file answers."""

from __future__ import annotations

import time

import openai
import pytest
from mockfiles_kit import Server

from helpers import assert_error


def test_delete_answers_deleted_true(client: openai.OpenAI) -> None:
    f = client.files.create(file=("gone.txt", b"bye"), purpose="user_data")
    response = client.files.with_raw_response.delete(f.id)
    assert response.http_response.json() == {"id": f.id, "object": "file", "deleted": True}
    assert response.parse().deleted is True


def test_deleted_file_is_gone_everywhere(client: openai.OpenAI) -> None:
    f = client.files.create(file=("gone.txt", b"bye"), purpose="user_data")
    client.files.delete(f.id)
    with pytest.raises(openai.NotFoundError) as e:
        client.files.retrieve(f.id)
    assert_error(e.value, 404, message=f"No such File object: {f.id}", param="id", type="invalid_request_error")
    with pytest.raises(openai.NotFoundError) as e:
        client.files.content(f.id)
    assert_error(e.value, 404, message=f"No such File object: {f.id}", param="id")
    assert f.id not in {x.id for x in client.files.list(purpose="user_data")}


def test_deleting_twice_is_404(client: openai.OpenAI) -> None:
    f = client.files.create(file=("twice.txt", b"2"), purpose="user_data")
    client.files.delete(f.id)
    with pytest.raises(openai.NotFoundError) as e:
        client.files.delete(f.id)
    assert_error(e.value, 404, message=f"No such File object: {f.id}", param="id")


@pytest.mark.parametrize("file_id", ["file-doesnotexist", "not-even-a-file-id"])
def test_unknown_ids_are_404_on_every_verb(client: openai.OpenAI, file_id: str) -> None:
    for call in (client.files.retrieve, client.files.delete, client.files.content):
        with pytest.raises(openai.NotFoundError) as e:
            call(file_id)
        assert_error(e.value, 404, message=f"No such File object: {file_id}", param="id")


def test_delete_leaves_other_files_alone(client: openai.OpenAI) -> None:
    keep = client.files.create(file=("keep.txt", b"keep"), purpose="vision")  # vision: downloadable by default
    drop = client.files.create(file=("drop.txt", b"drop"), purpose="vision")
    client.files.delete(drop.id)
    assert client.files.retrieve(keep.id) == keep
    assert client.files.content(keep.id).read() == b"keep"


@pytest.mark.blobs_on_disk
def test_delete_removes_the_blob_from_disk(client: openai.OpenAI, server: Server) -> None:
    marker = b"unique-blob-marker-" + b"7" * 64
    f = client.files.create(file=("blob.bin", marker), purpose="user_data")

    def holders() -> list[str]:
        return [str(p) for p in server.data_dir.rglob("*") if p.is_file() and p.stat().st_size == len(marker) and p.read_bytes() == marker]

    assert holders(), "the blob should be on disk under the data dir"
    client.files.delete(f.id)
    deadline = time.monotonic() + 5  # the blob may go just after the row; give it a moment
    while holders() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert holders() == [], "delete must remove the blob, not only the row"
