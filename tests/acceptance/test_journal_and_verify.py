"""The request journal (GET /admin/requests with filters) and verification (POST /admin/verify), driven
the way a user's suite would: through the kit's pytest plugin (`mockfiles_url`, `mockfiles_admin`,
`mockfiles_openai`, a `mockfiles serve --ephemeral` started once and reset before each test) and the
official SDK. Answers are checked against the server's own /openapi.yaml; `--ephemeral` itself is
checked for the directory it makes and removes."""

from __future__ import annotations

import hashlib
import io
import subprocess
from pathlib import Path
from typing import Any

import httpx2
import jsonschema
import openai
import pytest
import yaml
from mockfiles_kit import Server, binary_path
from mockfiles_kit.admin import Admin, VerificationError


@pytest.fixture(scope="module")
def own_schema(mockfiles_url: str) -> Any:
    """validate(name, instance) against a schema of the served /openapi.yaml."""
    document = yaml.safe_load(httpx2.get(f"{mockfiles_url}/openapi.yaml", timeout=5).text)

    def validate(name: str, instance: Any) -> None:
        schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
        jsonschema.Draft202012Validator(schema).validate(instance)

    return validate


def upload(client: openai.OpenAI, purpose: str = "user_data") -> str:
    return client.files.create(file=("notes.txt", io.BytesIO(b"hello")), purpose=purpose).id  # type: ignore[arg-type]


def test_verify_counts_what_the_sdk_did(mockfiles_openai: openai.OpenAI, mockfiles_admin: Admin, own_schema: Any) -> None:
    first, second = upload(mockfiles_openai), upload(mockfiles_openai)
    mockfiles_openai.files.delete(second)
    assert mockfiles_admin.verify(method="POST", path="/v1/files", count=2) == 2
    assert mockfiles_admin.verify(method="DELETE", path="/v1/files/*", object_id=second, count=1) == 1
    assert mockfiles_admin.verify(path="/v1/files*", status="2xx", at_least=3, at_most=3) == 3
    assert mockfiles_admin.verify(object_id=first, method="DELETE", count=0) == 0
    page = mockfiles_admin.journal(method="POST", order="asc")
    own_schema("RequestLogList", page)
    created = page["data"][0]
    assert created["object_id"] == first and created["api_key_hint"] == "test", created  # the key is sk-test
    assert sorted(created["multipart_fields"]) == ["file", "purpose"], created
    assert created["content_type"].startswith("multipart/form-data; boundary="), created
    assert created["error"] is None and page["dropped"] == 0


def test_a_failed_verification_says_what_came_closest(mockfiles_openai: openai.OpenAI, mockfiles_admin: Admin, own_schema: Any) -> None:
    with pytest.raises(openai.NotFoundError):
        mockfiles_openai.files.retrieve("file-nothing")
    with pytest.raises(VerificationError) as failure:
        mockfiles_admin.verify(method="GET", path="/v1/files/*", status=200)
    own_schema("VerificationFailed", failure.value.report)
    assert failure.value.matched == 0
    message = str(failure.value)
    assert "Expected at least 1 request(s) matching {method=GET, path=/v1/files/*, status=200}, found 0." in message, message
    assert "near miss: GET /v1/files/file-nothing -> 404 (differs in status)" in message, message
    assert failure.value.near_misses[0]["request"]["error"]["code"] is None


def test_the_journal_keeps_the_error_each_request_got(mockfiles_openai: openai.OpenAI, mockfiles_admin: Admin) -> None:
    with pytest.raises(openai.BadRequestError):
        upload(mockfiles_openai, purpose="nonsense")
    refused = mockfiles_admin.journal(status="400")["data"]
    assert len(refused) == 1 and refused[0]["error"] == {"type": "invalid_request_error", "code": None, "param": "purpose"}, refused
    assert mockfiles_admin.journal(status="4xx", method="GET")["data"] == []


def test_upload_parts_show_their_field(mockfiles_openai: openai.OpenAI, mockfiles_admin: Admin) -> None:
    made = mockfiles_openai.uploads.create(bytes=5, filename="a.txt", mime_type="text/plain", purpose="user_data")
    part = mockfiles_openai.uploads.parts.create(made.id, data=b"hello")
    entries = mockfiles_admin.journal(path=f"/v1/uploads/{made.id}/parts")["data"]
    assert [e["multipart_fields"] for e in entries] == [["data"]] and entries[0]["status"] == 200, entries
    done = mockfiles_openai.uploads.complete(made.id, part_ids=[part.id])
    assert mockfiles_admin.verify(path=f"/v1/uploads/{made.id}/*", count=2) == 2
    # The create names the Upload it made; the completion names the File it made.
    assert mockfiles_admin.verify(object_id=made.id, count=2) == 2
    assert done.file is not None and mockfiles_admin.verify(object_id=done.file.id, path="*/complete", count=1) == 1


def test_journal_pages_by_cursor(mockfiles_openai: openai.OpenAI, mockfiles_admin: Admin) -> None:
    for _ in range(5):
        mockfiles_openai.files.list()
    seen: list[int] = []
    after: int | None = None
    while True:
        page = mockfiles_admin.journal(path="/v1/files", limit=2, after=after)
        seen += [e["seq"] for e in page["data"]]
        if not page["has_more"]:
            break
        after = page["data"][-1]["seq"]
    assert len(seen) == 5 and seen == sorted(seen, reverse=True), seen


def test_verify_refuses_a_malformed_expectation(mockfiles_url: str, mockfiles_admin: Admin) -> None:
    for body in ({"count": 1, "at_most": 2}, {"status": "4x"}, {"colour": "red"}):
        r = httpx2.post(f"{mockfiles_url}/admin/verify", json=body, timeout=5)
        assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error", (body, r.text)


def test_admin_files_show_the_sha256_of_what_the_sdk_sent(mockfiles_openai: openai.OpenAI, mockfiles_admin: Admin, own_schema: Any) -> None:
    direct = bytes(range(256)) * 4096 + b"tail"  # 1 MiB and a bit: many chunks
    made = mockfiles_openai.files.create(file=("blob.bin", io.BytesIO(direct), "application/x-test"), purpose="user_data")
    upload = mockfiles_openai.uploads.upload_file_chunked(
        file=direct, filename="chunked.bin", bytes=len(direct), mime_type="text/plain", purpose="user_data", part_size=300_000
    )
    assert upload.file is not None
    page = mockfiles_admin.files()
    own_schema("AdminFileList", page)
    by_id = {f["id"]: f for f in page["data"]}
    digest = hashlib.sha256(direct).hexdigest()
    assert by_id[made.id]["sha256"] == digest and by_id[made.id]["content_type"] == "application/x-test", by_id[made.id]
    assert by_id[upload.file.id]["sha256"] == digest and by_id[upload.file.id]["content_type"] == "text/plain", by_id[upload.file.id]
    assert [f["id"] for f in mockfiles_admin.files(sha256=digest)["data"]] == [made.id, upload.file.id]
    assert mockfiles_admin.files(filename="chunked.*")["data"][0]["id"] == upload.file.id
    assert "sha256" not in mockfiles_openai.files.retrieve(made.id).model_dump(), "never in the public File object"


def test_ephemeral_data_lives_in_a_fresh_directory_removed_at_exit(tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    server = Server.start(None, tmp_path / "logs", env={"TMPDIR": str(scratch)})
    try:
        made = list(scratch.glob("mockfiles-ephemeral-*"))
        assert len(made) == 1 and (made[0] / "mockfiles.sqlite").exists(), made
        client = openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0)
        upload(client)
        assert client.files.list().data, "the ephemeral server stores like any other"
    finally:
        assert server.stop() == 0, server.output()
    assert list(scratch.iterdir()) == [], "the directory and everything in it are gone"


@pytest.mark.parametrize(
    ("flags", "line"),
    [
        (["--data-dir", "/tmp/x"], "mockfiles: --ephemeral makes its own data directory: leave out --data-dir\n"),
        (
            ["--database-url", "postgres://u:p@127.0.0.1:1/db"],
            "mockfiles: --ephemeral keeps everything in a temporary directory: it cannot use databaseUrl or blobUrl\n",
        ),
    ],
)
def test_ephemeral_refuses_a_storage_of_its_own(flags: list[str], line: str) -> None:
    done = subprocess.run([str(binary_path()), "serve", "--ephemeral", "--port", "0", *flags], capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stderr) == (78, line)
