"""The checks themselves: the schema helper and the wire checker must catch bad answers."""

from __future__ import annotations

import json

import httpx2
import openai
import pytest

from helpers import envelope, service_json
from openapi_schema import schema_errors
from wirecheck import CHECKER

GOOD_HEADERS = {
    "content-type": "application/json",
    "x-request-id": "req_1",
    "openai-version": "2020-10-01",
    "openai-processing-ms": "3",
    "openai-organization": "org-x",
    "openai-project": "proj_x",
    "x-content-type-options": "nosniff",
}
# In the service's key order (FilesTests, 2026-05-28).
FILE = {
    "object": "file",
    "id": "file-abc",
    "purpose": "user_data",
    "filename": "a.txt",
    "bytes": 3,
    "created_at": 1700000000,
    "expires_at": None,
    "status": "processed",
    "status_details": None,
}
NOT_FOUND = envelope("m", param="id")


def answer(status: int, body: object, method: str = "GET", path: str = "/v1/files/file-abc", headers: dict | None = None, content: bytes | None = None) -> httpx2.Response:
    """An answer as the server writes it: the service's layout unless `content` gives other bytes."""
    request = httpx2.Request(method, f"http://127.0.0.1:1{path}")
    return httpx2.Response(status, headers=headers if headers is not None else GOOD_HEADERS, content=service_json(body) if content is None else content, request=request)


def test_a_good_answer_passes() -> None:
    assert CHECKER.inspect(answer(200, FILE)) == []
    assert CHECKER.inspect(answer(404, NOT_FOUND)) == []
    assert CHECKER.inspect(answer(200, {"object": "list", "data": [FILE], "has_more": False, "first_id": "file-abc", "last_id": "file-abc"}, path="/v1/files")) == []


@pytest.mark.parametrize(
    ("status", "body", "method", "path"),
    [
        (200, {**FILE, "bytes": "3"}, "GET", "/v1/files/file-abc"),
        (200, {k: v for k, v in FILE.items() if k != "status"}, "GET", "/v1/files/file-abc"),
        (200, {**FILE, "purpose": "nonsense"}, "POST", "/v1/files"),
        (200, {"object": "list", "data": [FILE], "has_more": False}, "GET", "/v1/files"),
        (200, {"id": "file-abc", "object": "file"}, "DELETE", "/v1/files/file-abc"),
        (400, {"message": "flat error"}, "POST", "/v1/files"),
        (404, {"error": {"message": "m", "type": "invalid_request_error"}}, "GET", "/v1/nothing"),
        (404, {"error": NOT_FOUND["error"]}, "GET", "/v1/files/file-abc"),  # no `detail`
        (404, {**NOT_FOUND, "detail": {"message": "other", "code": None}}, "GET", "/v1/files/file-abc"),  # `detail` not repeating the error
        (404, {"detail": NOT_FOUND["detail"], "error": NOT_FOUND["error"]}, "GET", "/v1/files/file-abc"),  # `detail` first
        (404, {"error": dict(reversed(NOT_FOUND["error"].items())), "detail": NOT_FOUND["detail"]}, "GET", "/v1/files/file-abc"),  # code, param, type, message
        (401, {"error": NOT_FOUND["error"]}, "POST", "/admin/reset"),  # admin errors are the same envelope
        (200, dict(sorted(FILE.items())), "GET", "/v1/files/file-abc"),  # keys sorted
        (200, {"object": "file", "id": "file-abc", "deleted": True}, "DELETE", "/v1/files/file-abc"),
    ],
)
def test_schema_breaks_are_caught(status: int, body: object, method: str, path: str) -> None:
    assert CHECKER.inspect(answer(status, body, method, path)) != []


@pytest.mark.parametrize(
    "content",
    [
        json.dumps(FILE).encode(),  # Python's default separators, no indent
        json.dumps(FILE, separators=(",", ":")).encode(),  # compact
        json.dumps(FILE, indent=2).encode(),  # no final newline
        json.dumps(FILE, indent=4).encode() + b"\n",
        json.dumps({**FILE, "filename": "你好.txt"}, indent=2).encode() + b"\n",  # \uXXXX instead of raw UTF-8
    ],
    ids=["spaced", "compact", "no-newline", "indent-4", "ascii-escaped"],
)
def test_another_layout_is_caught(content: bytes) -> None:
    assert CHECKER.inspect(answer(200, None, content=content)) != []
    assert CHECKER.inspect(answer(404, None, content=json.dumps(NOT_FOUND).encode())) != []


def test_missing_headers_are_caught() -> None:
    problems = CHECKER.inspect(answer(200, FILE, headers={"content-type": "application/json"}))
    assert len(problems) == 6, problems
    for path in ("/health", "/admin/faults", "/ui/login"):
        assert len(CHECKER.inspect(answer(200, {"status": "ok"}, path=path, headers={}))) == 6, f"{path}: every answer carries them"


def test_json_with_a_charset_is_caught() -> None:
    assert CHECKER.inspect(answer(200, FILE, headers={**GOOD_HEADERS, "content-type": "application/json; charset=utf-8"})) != []


def test_upload_without_a_file_key_passes_and_a_malformed_file_does_not() -> None:
    upload = {"id": "upload_1", "object": "upload", "bytes": 1, "created_at": 1, "filename": "a", "purpose": "batch", "status": "pending", "expires_at": 2}
    assert schema_errors("Upload", upload) == []
    assert schema_errors("Upload", {**upload, "status": "completed", "file": FILE}) == []
    assert schema_errors("Upload", {**upload, "file": {"id": 1}}) != []


# In the service's key order (UploadsTests, 2025-09-29): no `file` key until completed.
UPLOAD = {"id": "upload_1", "object": "upload", "bytes": 3, "created_at": 1, "filename": "a.txt", "purpose": "user_data", "status": "pending", "expires_at": 3601}
PART = {"id": "part_1", "object": "upload.part", "created_at": 1, "upload_id": "upload_1"}


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (UPLOAD, "/v1/uploads"),
        (PART, "/v1/uploads/upload_1/parts"),
        ({**UPLOAD, "status": "completed", "file": FILE}, "/v1/uploads/upload_1/complete"),
        ({**UPLOAD, "status": "cancelled"}, "/v1/uploads/upload_1/cancel"),
    ],
)
def test_good_upload_answers_pass(body: dict, path: str) -> None:
    assert CHECKER.inspect(answer(200, body, "POST", path)) == []


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({k: v for k, v in UPLOAD.items() if k != "expires_at"}, "/v1/uploads"),
        ({**UPLOAD, "status": "uploading"}, "/v1/uploads"),
        (PART, "/v1/uploads"),  # a Part where an Upload belongs
        (UPLOAD, "/v1/uploads/upload_1/parts"),  # an Upload where a Part belongs
        ({**PART, "object": "part"}, "/v1/uploads/upload_1/parts"),
        ({**UPLOAD, "status": "completed", "file": {**FILE, "bytes": None}}, "/v1/uploads/upload_1/complete"),
        ({**UPLOAD, "bytes": "3"}, "/v1/uploads/upload_1/cancel"),
        ({**UPLOAD, "file": None}, "/v1/uploads"),  # pending with `"file": null`
        ({**UPLOAD, "status": "cancelled", "file": None}, "/v1/uploads/upload_1/cancel"),
        ({**UPLOAD, "status": "completed"}, "/v1/uploads/upload_1/complete"),  # completed without its File
        ({"file": FILE, **UPLOAD, "status": "completed"}, "/v1/uploads/upload_1/complete"),  # `file` first
    ],
)
def test_upload_schema_breaks_are_caught(body: dict, path: str) -> None:
    assert CHECKER.inspect(answer(200, body, "POST", path)) != []


def test_sdk_answers_go_through_the_checker(client: openai.OpenAI) -> None:
    before = CHECKER.checked
    client.files.list(limit=1)
    assert CHECKER.checked == before + 1


def test_admin_answers_skip_the_openai_schemas() -> None:
    """/admin/ is mockfiles' own API: its answers are not OpenAI objects; /v1 keeps every check."""
    reset = {"files_removed": 0, "uploads_removed": 0, "parts_removed": 0, "blobs_removed": 0, "faults_removed": 0, "requests_cleared": 0, "fixtures_loaded": 0}
    assert CHECKER.inspect(answer(200, reset, "POST", "/admin/reset")) == []
    assert CHECKER.inspect(answer(200, {"object": "list", "data": [{"id": "fault_1"}]}, "GET", "/admin/faults")) == []
    assert CHECKER.inspect(answer(401, envelope("m", code="x"), "POST", "/admin/reset")) == []
    compact = json.dumps(reset, separators=(",", ":")).encode()  # admin successes keep their own layout
    assert CHECKER.inspect(answer(200, None, "POST", "/admin/reset", content=compact)) == []
    assert CHECKER.inspect(answer(200, reset, "GET", "/v1/files")) != []
