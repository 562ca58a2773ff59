"""Small shared assertions for the acceptance tests."""

from __future__ import annotations

import json
import re
import time
from types import EllipsisType
from typing import Any

import httpx2
import openai

# Key orders as the real service writes them (openai/openai-dotnet tests/SessionRecords: FilesTests
# 2026-05-28, UploadsTests 2025-09-29); the body bytes are checked against them, not just the key sets.
FILE_ORDER = ["object", "id", "purpose", "filename", "bytes", "created_at", "expires_at", "status", "status_details"]
FILE_LIST_ORDER = ["object", "data", "has_more", "first_id", "last_id"]
DELETED_ORDER = ["object", "deleted", "id"]
UPLOAD_ORDER = ["id", "object", "bytes", "created_at", "filename", "purpose", "status", "expires_at"]  # + "file", last, once completed
PART_ORDER = ["id", "object", "created_at", "upload_id"]
ERROR_ORDER = ["message", "type", "param", "code"]
DETAIL_ORDER = ["message", "code"]
FILE_KEYS = set(FILE_ORDER)

# Id shapes: `file-` and 22 of the base58 alphabet (FilesTests/ListFiles, 2026-05-28: every file made since
# late 2024); `upload_`/`part_` and 32 lowercase hex (UploadsTests, 2025-09-29).
FILE_ID = re.compile(r"file-[1-9A-HJ-NP-Za-km-z]{22}")
UPLOAD_ID = re.compile(r"upload_[0-9a-f]{32}")
PART_ID = re.compile(r"part_[0-9a-f]{32}")


def service_json(value: Any) -> bytes:
    """`value` in the real service's layout: Python's `json.dumps(value, indent=2, ensure_ascii=False)` and
    a final newline (every Files and Uploads answer's Content-Length in the recordings matches it exactly)."""
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode()


def envelope(message: str, *, type: str = "invalid_request_error", param: str | None = None, code: str | None = None) -> dict[str, Any]:
    """The error envelope since 2026-05 (FilesTests *CanParseServiceError): `detail` repeats message and code."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}, "detail": {"message": message, "code": code}}


def error_bytes(message: str, **fields: Any) -> bytes:
    """The exact bytes of an error answer."""
    return service_json(envelope(message, **fields))


def laid_out(content: bytes) -> Any:
    """The JSON of an answer, asserted to be in the service's layout (indent 2, raw UTF-8, final newline);
    dicts keep the order the keys came in."""
    value = json.loads(content)
    assert content == service_json(value), f"not the service's JSON layout (indent 2, raw UTF-8, one final newline):\n{content[:600]!r}"
    return value


def error_envelope(answer: httpx2.Response | openai.APIStatusError) -> dict[str, Any]:
    """The `error` object of an error answer (raw response or SDK exception): exactly `error` then
    `detail`, in the service's key order, `detail` repeating the message and code."""
    response = answer.response if isinstance(answer, openai.APIStatusError) else answer
    body = response.json()
    assert list(body) == ["error", "detail"], f"error answer must be exactly {{'error': ..., 'detail': ...}}, got {body!r}"
    error, detail = body["error"], body["detail"]
    assert list(error) == ERROR_ORDER, f"error keys {list(error)}, want {ERROR_ORDER}"
    assert list(detail) == DETAIL_ORDER and detail == {"message": error["message"], "code": error["code"]}, body
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


def assert_file_object(f: dict[str, Any], *, filename: str, purpose: str, size: int, wire: bool = True) -> None:
    """The File object as the real service shapes it, created just now. `wire`: as answered, keys in the
    service's order; False for a copy written again elsewhere (the CLI's `--json` sorts its keys)."""
    if wire:
        assert list(f) == FILE_ORDER, f"File object keys {list(f)}, want {FILE_ORDER}"
    else:
        assert set(f) == FILE_KEYS, f"File object keys {sorted(f)}, want {sorted(FILE_KEYS)}"
    assert isinstance(f["id"], str) and FILE_ID.fullmatch(f["id"]), f
    assert f["object"] == "file"
    assert f["bytes"] == size
    assert type(f["created_at"]) is int and abs(f["created_at"] - time.time()) < 120, f
    assert f["filename"] == filename
    assert f["purpose"] == purpose
    assert f["status"] == "processed"
    assert f["status_details"] is None


UPLOAD_PART_KEYS = set(PART_ORDER)
UPLOAD_LIFETIME = 3600


def assert_upload_object(u: dict[str, Any], *, status: str, filename: str, purpose: str, size: int) -> None:
    """The Upload object as it travels on the wire (JSON): a pending or cancelled Upload has no `file` key
    at all; a completed one has it last (UploadsTests, 2025-09-29)."""
    want = UPLOAD_ORDER + ["file"] if status == "completed" else UPLOAD_ORDER
    assert list(u) == want, f"Upload object keys {list(u)}, want {want}"
    assert isinstance(u["id"], str) and UPLOAD_ID.fullmatch(u["id"]), u
    assert u["object"] == "upload"
    assert u["bytes"] == size
    assert type(u["created_at"]) is int and abs(u["created_at"] - time.time()) < 120, u
    assert u["expires_at"] == u["created_at"] + UPLOAD_LIFETIME, "an Upload expires an hour after it is created"
    assert u["filename"] == filename
    assert u["purpose"] == purpose
    assert u["status"] == status
    if status == "completed":
        assert_file_object(u["file"], filename=filename, purpose=purpose, size=size)


def assert_part_object(p: dict[str, Any], *, upload_id: str) -> None:
    assert list(p) == PART_ORDER, f"UploadPart keys {list(p)}, want {PART_ORDER}"
    assert isinstance(p["id"], str) and PART_ID.fullmatch(p["id"]), p
    assert p["object"] == "upload.part"
    assert type(p["created_at"]) is int and abs(p["created_at"] - time.time()) < 120, p
    assert p["upload_id"] == upload_id


# ---------------------------------------------------------------- batches (issue 33; docs/batches-evidence.md)

# Key orders of every 2025-10 recorded Batch object and list page (CGC, REH, LPS); `errors` items in the
# order issue 33 and the API reference use.
BATCH_ORDER = [
    "id", "object", "endpoint", "model", "errors", "input_file_id", "completion_window", "status", "output_file_id",
    "error_file_id", "created_at", "in_progress_at", "expires_at", "finalizing_at", "completed_at", "failed_at",
    "expired_at", "cancelling_at", "cancelled_at", "request_counts", "usage", "metadata",
]  # fmt: skip
BATCH_LIST_ORDER = ["object", "data", "first_id", "last_id", "has_more"]
REQUEST_COUNTS_ORDER = ["total", "completed", "failed"]
BATCH_USAGE_ORDER = ["input_tokens", "output_tokens", "total_tokens", "input_tokens_details", "output_tokens_details"]
BATCH_ERROR_ORDER = ["code", "message", "param", "line"]
RESULT_LINE_ORDER = ["id", "custom_id", "response", "error"]
BATCH_ID = re.compile(r"batch_[0-9a-f]{32}")
BATCH_REQ_ID = re.compile(r"batch_req_[0-9a-f]{32}")
BATCH_WINDOW = 86400


def batch_layout(content: bytes) -> Any:
    """The JSON of a batch answer (create, retrieve, list), asserted to be `json.dumps(value, indent=2)`
    with NO final newline (every recorded batch answer's Content-Length: one byte shorter than Files')."""
    value = json.loads(content)
    assert content == json.dumps(value, indent=2, ensure_ascii=False).encode(), f"not indent 2 without a final newline:\n{content[:600]!r}"
    return value


def compact_layout(content: bytes) -> Any:
    """The JSON of a cancel answer, asserted compact: `,` and `:` without spaces, no newline (CGC)."""
    value = json.loads(content)
    assert content == json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode(), f"not compact JSON:\n{content[:600]!r}"
    return value


def assert_batch_object(b: dict[str, Any], *, status: str | None = None) -> None:
    """A Batch object as the service writes it: keys and nested keys in the recorded order, id shape,
    the always-set keys, the 24-hour window."""
    assert list(b) == BATCH_ORDER, f"Batch keys {list(b)}, want {BATCH_ORDER}"
    assert isinstance(b["id"], str) and BATCH_ID.fullmatch(b["id"]), b["id"]
    assert b["object"] == "batch" and b["completion_window"] == "24h", b
    if status is not None:
        assert b["status"] == status, f"status {b['status']!r}, want {status!r}: {b}"
    assert type(b["created_at"]) is int and b["expires_at"] == b["created_at"] + BATCH_WINDOW, b
    assert list(b["request_counts"]) == REQUEST_COUNTS_ORDER, b["request_counts"]
    usage = b["usage"]
    assert list(usage) == BATCH_USAGE_ORDER, usage
    assert list(usage["input_tokens_details"]) == ["cached_tokens"] and list(usage["output_tokens_details"]) == ["reasoning_tokens"], usage
    if b["errors"] is not None:
        assert list(b["errors"]) == ["object", "data"] and b["errors"]["object"] == "list", b["errors"]
        for item in b["errors"]["data"]:
            assert list(item) == BATCH_ERROR_ORDER, item


def jsonl_lines(*objects: Any) -> bytes:
    """JSONL as a user writes it: one `json.dumps` per line, `\\n` after each; str items go as they are."""
    return b"".join((o if isinstance(o, str) else json.dumps(o)).encode() + b"\n" for o in objects)


def chat_line(custom_id: str, text: str = "What is 2+2?", *, model: str = "gpt-4o-mini", **body: Any) -> dict[str, Any]:
    return {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": {"model": model, "messages": [{"role": "user", "content": text}], **body}}


def parse_result_file(content: bytes) -> list[dict[str, Any]]:
    """A result file's lines, asserted to be Python's default `json.dumps` (`", "` and `": "`), `\\n` after
    every line, keys in the recorded order, ids `batch_req_` + 32 hex."""
    assert content.endswith(b"\n"), f"the file must end with a newline: {content[-200:]!r}"
    lines = []
    for raw_line in content.split(b"\n")[:-1]:
        value = json.loads(raw_line)
        assert raw_line == json.dumps(value, ensure_ascii=False).encode(), f"not json.dumps' default layout: {raw_line[:300]!r}"
        assert list(value) == RESULT_LINE_ORDER, value
        assert BATCH_REQ_ID.fullmatch(value["id"]), value["id"]
        lines.append(value)
    return lines


FAST_TIMINGS = "validating=1s,line=10ms,finalizing=1s,cancelling=1s"  # the documented default, given explicitly


class BatchRig:
    """One server of its own (its clock moves), the SDK on it, and its admin API."""

    def __init__(self, server: Any, client: openai.OpenAI, admin: Any) -> None:
        self.server, self.client, self.admin = server, client, admin

    @classmethod
    def start(cls, start_server: Any, make_client: Any, make_raw: Any, *args: str, timings: str = FAST_TIMINGS, data_dir: Any = None) -> BatchRig:
        from mockfiles_kit.admin import Admin

        server = start_server("--batch-timings", timings, *args, data_dir=data_dir)
        return cls(server, make_client(server.base_url), Admin.of(make_raw, server))

    def freeze(self, at: int | None = None) -> int:
        """Stops the clock on a whole second (now, unless `at`), so stage times are exact; returns it."""
        at = int(time.time()) if at is None else at
        assert self.admin.set_clock(now=at, frozen=True)["now"] == at
        return at

    def advance(self, seconds: float) -> None:
        self.admin.advance(seconds)

    def upload(self, *lines: Any, content: bytes | None = None, filename: str = "requests.jsonl") -> str:
        data = jsonl_lines(*lines) if content is None else content
        return self.client.files.create(file=(filename, data), purpose="batch").id

    def create(self, *lines: Any, endpoint: str = "/v1/chat/completions", **options: Any) -> Any:
        """Uploads `lines` and creates a batch of them; the SDK's Batch."""
        return self.client.batches.create(input_file_id=self.upload(*lines), endpoint=endpoint, completion_window="24h", **options)  # type: ignore[arg-type]

    def wire(self, batch_id: str) -> dict[str, Any]:
        """`GET /v1/batches/{id}` as sent: checked layout and Batch shape."""
        r = self.client.batches.with_raw_response.retrieve(batch_id).http_response
        assert r.status_code == 200, r.text
        b = batch_layout(r.content)
        assert_batch_object(b)
        return b

    def content(self, file_id: str) -> bytes:
        return self.client.files.content(file_id).read()
