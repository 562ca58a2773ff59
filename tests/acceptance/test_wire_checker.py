"""The checks themselves: the schema helper and the wire checker must catch bad answers."""

from __future__ import annotations

import httpx2
import openai
import pytest

from openapi_schema import schema_errors
from wirecheck import CHECKER

GOOD_HEADERS = {
    "content-type": "application/json",
    "x-request-id": "req_1",
    "openai-version": "2020-10-01",
    "openai-processing-ms": "3",
    "openai-organization": "org-x",
}
FILE = {
    "id": "file-abc",
    "object": "file",
    "bytes": 3,
    "created_at": 1700000000,
    "expires_at": None,
    "filename": "a.txt",
    "purpose": "user_data",
    "status": "processed",
    "status_details": None,
}


def answer(status: int, body: object, method: str = "GET", path: str = "/v1/files/file-abc", headers: dict | None = None) -> httpx2.Response:
    request = httpx2.Request(method, f"http://127.0.0.1:1{path}")
    return httpx2.Response(status, headers=headers if headers is not None else GOOD_HEADERS, json=body, request=request)


def test_a_good_answer_passes() -> None:
    assert CHECKER.inspect(answer(200, FILE)) == []
    assert CHECKER.inspect(answer(404, {"error": {"message": "m", "type": "invalid_request_error", "param": "id", "code": None}})) == []


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
    ],
)
def test_schema_breaks_are_caught(status: int, body: object, method: str, path: str) -> None:
    assert CHECKER.inspect(answer(status, body, method, path)) != []


def test_missing_headers_are_caught() -> None:
    problems = CHECKER.inspect(answer(200, FILE, headers={"content-type": "application/json"}))
    assert len(problems) == 4, problems


def test_upload_file_may_be_null_but_not_malformed() -> None:
    upload = {"id": "upload_1", "object": "upload", "bytes": 1, "created_at": 1, "expires_at": 2, "filename": "a", "purpose": "batch", "status": "pending", "file": None}
    assert schema_errors("Upload", upload) == []
    assert schema_errors("Upload", {**upload, "status": "completed", "file": FILE}) == []
    assert schema_errors("Upload", {**upload, "file": {"id": 1}}) != []


UPLOAD = {"id": "upload_1", "object": "upload", "bytes": 3, "created_at": 1, "expires_at": 3601, "filename": "a.txt", "purpose": "user_data", "status": "pending", "file": None}
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
    assert CHECKER.inspect(answer(401, {"error": {"message": "m", "type": "invalid_request_error", "param": None, "code": "x"}}, "POST", "/admin/reset")) == []
    assert CHECKER.inspect(answer(200, reset, "GET", "/v1/files")) != []
