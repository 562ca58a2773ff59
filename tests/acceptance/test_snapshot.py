"""GET /admin/snapshot: the whole state as one tar archive that standard tools read (Python's tarfile
here), through the kit's plugin and the SDK."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile

import httpx2
import openai
from mockfiles_kit.admin import Admin


def test_the_snapshot_is_a_tar_that_tarfile_reads(mockfiles_url: str, mockfiles_openai: openai.OpenAI, mockfiles_admin: Admin) -> None:
    data = b"bytes to keep\n" * 1000
    made = mockfiles_openai.files.create(file=("keep.txt", io.BytesIO(data)), purpose="user_data")
    upload = mockfiles_openai.uploads.create(bytes=10, filename="open.bin", mime_type="text/plain", purpose="user_data")
    part = mockfiles_openai.uploads.parts.create(upload.id, data=b"12345")
    response = httpx2.get(f"{mockfiles_url}/admin/snapshot", timeout=60)
    assert response.status_code == 200 and response.headers["content-type"] == "application/x-tar"
    with tarfile.open(fileobj=io.BytesIO(response.content), mode="r:") as archive:
        names = archive.getnames()
        assert names == [
            "mockfiles-snapshot.json", f"blobs/{made.id}", f"files/{made.id}.json", f"parts/{part.id}",
            f"uploads/{upload.id}.json", "mockfiles-snapshot-end.json",
        ], names

        def read(name: str) -> bytes:
            member = archive.extractfile(name)
            assert member is not None, name
            return member.read()

        assert read(f"blobs/{made.id}") == data
        record = json.loads(read(f"files/{made.id}.json"))
        assert record["sha256"] == hashlib.sha256(data).hexdigest() and record["bytes"] == len(data), record
        assert json.loads(read("mockfiles-snapshot-end.json")) == {"files": 1, "uploads": 1, "parts": 1}
        assert json.loads(read(f"uploads/{upload.id}.json"))["parts"][0]["sha256"] == hashlib.sha256(b"12345").hexdigest()
