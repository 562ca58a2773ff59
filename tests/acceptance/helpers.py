"""Small shared assertions for the acceptance tests."""

from __future__ import annotations

import time
from types import EllipsisType
from typing import Any

import httpx2
import openai

FILE_KEYS = {"id", "object", "bytes", "created_at", "expires_at", "filename", "purpose", "status", "status_details"}


def error_envelope(answer: httpx2.Response | openai.APIStatusError) -> dict[str, Any]:
    """The `error` object of an error answer (raw response or SDK exception)."""
    response = answer.response if isinstance(answer, openai.APIStatusError) else answer
    body = response.json()
    assert set(body) == {"error"}, f"error answer must be exactly {{'error': ...}}, got {body!r}"
    error = body["error"]
    assert set(error) >= {"message", "type", "param", "code"}, error
    return error


def assert_error(
    answer: httpx2.Response | openai.APIStatusError,
    status: int,
    *,
    param: str | None | EllipsisType = ...,
    message: str | None = None,
    contains: str | None = None,
    type: str = "invalid_request_error",
    code: str | None | EllipsisType = ...,
) -> dict[str, Any]:
    """Status, envelope and the given fields of an error answer; `...` means "any value"."""
    response = answer.response if isinstance(answer, openai.APIStatusError) else answer
    assert response.status_code == status, f"want {status}, got {response.status_code}: {response.text[:500]}"
    error = error_envelope(answer)
    assert error["type"] == type, error
    if param is not ...:
        assert error["param"] == param, error
    if code is not ...:
        assert error["code"] == code, error
    if message is not None:
        assert error["message"] == message, error
    if contains is not None:
        assert contains in error["message"], error
    assert isinstance(error["message"], str) and error["message"], error
    return error


def assert_file_object(f: dict[str, Any], *, filename: str, purpose: str, size: int) -> None:
    """The File object as the real service shapes it, created just now."""
    assert set(f) == FILE_KEYS, f"File object keys {sorted(f)}, want {sorted(FILE_KEYS)}"
    assert isinstance(f["id"], str) and f["id"].startswith("file-") and len(f["id"]) > len("file-"), f
    assert f["object"] == "file"
    assert f["bytes"] == size
    assert type(f["created_at"]) is int and abs(f["created_at"] - time.time()) < 120, f
    assert f["filename"] == filename
    assert f["purpose"] == purpose
    assert f["status"] == "processed"
    assert f["status_details"] is None


UPLOAD_KEYS = {"id", "object", "bytes", "created_at", "expires_at", "filename", "purpose", "status", "file"}
UPLOAD_PART_KEYS = {"id", "object", "created_at", "upload_id"}
UPLOAD_LIFETIME = 3600


def assert_upload_object(u: dict[str, Any], *, status: str, filename: str, purpose: str, size: int) -> None:
    """The Upload object as it travels on the wire (JSON): `file` is present, `null` unless completed."""
    assert set(u) == UPLOAD_KEYS, f"Upload object keys {sorted(u)}, want {sorted(UPLOAD_KEYS)}"
    assert isinstance(u["id"], str) and u["id"].startswith("upload_") and len(u["id"]) > len("upload_"), u
    assert u["object"] == "upload"
    assert u["bytes"] == size
    assert type(u["created_at"]) is int and abs(u["created_at"] - time.time()) < 120, u
    assert u["expires_at"] == u["created_at"] + UPLOAD_LIFETIME, "an Upload expires an hour after it is created"
    assert u["filename"] == filename
    assert u["purpose"] == purpose
    assert u["status"] == status
    if status == "completed":
        assert_file_object(u["file"], filename=filename, purpose=purpose, size=size)
    else:
        assert u["file"] is None, f"a {status} Upload has no File: {u!r}"


def assert_part_object(p: dict[str, Any], *, upload_id: str) -> None:
    assert set(p) == UPLOAD_PART_KEYS, f"UploadPart keys {sorted(p)}, want {sorted(UPLOAD_PART_KEYS)}"
    assert isinstance(p["id"], str) and p["id"].startswith("part_") and len(p["id"]) > len("part_"), p
    assert p["object"] == "upload.part"
    assert type(p["created_at"]) is int and abs(p["created_at"] - time.time()) < 120, p
    assert p["upload_id"] == upload_id
