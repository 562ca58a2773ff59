"""The wire contract every answer must keep: the OpenAI headers on every answer (`openai-project` and
`X-Content-Type-Options: nosniff` included), JSON matching the official schema for its route, in the real
service's layout and key order (openai/openai-dotnet tests/SessionRecords: FilesTests 2026-05-28,
UploadsTests 2025-09-29), errors always as the `{"error": {...}, "detail": {...}}` envelope, on every path.
The admin API (/admin/) is mockfiles' own, not OpenAI's: its successful answers are not checked against
the OpenAI schemas (its errors are the same envelope).

Where the recordings and the OpenAPI text differ, the recordings win: a pending or cancelled Upload has no
`file` key at all (UploadsTests/CreateUploadWorks, CancelUploadWorks, 2025-09-29), which the OpenAPI text
allows too (`file` is not required there)."""

from __future__ import annotations

import json
import re
import threading
from typing import Any

import httpx2

from helpers import DELETED_ORDER, DETAIL_ORDER, ERROR_ORDER, FILE_LIST_ORDER, FILE_ORDER, PART_ORDER, UPLOAD_ORDER, service_json
from openapi_schema import schema_errors

# (method, path regex, schema of a 2xx JSON answer; None = not JSON, e.g. file content)
ROUTES: list[tuple[str, re.Pattern[str], str | None]] = [
    (m, re.compile(p), s)
    for m, p, s in [
        ("POST", r"/v1/files", "OpenAIFile"),
        ("GET", r"/v1/files", "ListFilesResponse"),
        ("GET", r"/v1/files/[^/]+", "OpenAIFile"),
        ("DELETE", r"/v1/files/[^/]+", "DeleteFileResponse"),
        ("GET", r"/v1/files/[^/]+/content", None),
        ("POST", r"/v1/uploads", "Upload"),
        ("POST", r"/v1/uploads/[^/]+/parts", "UploadPart"),
        ("POST", r"/v1/uploads/[^/]+/(complete|cancel)", "Upload"),
    ]
]


def expected_schema(method: str, path: str, status: int) -> str | None:
    if path == "/admin/verify" and status == 409:
        return None  # a failed verification answers its report (matches, near misses), not an error alone
    if status >= 400:
        return "ErrorResponse"
    if path == "/admin" or path.startswith("/admin/"):
        return None
    for m, pattern, schema in ROUTES:
        if m == method and pattern.fullmatch(path):
            return schema
    return None


def order_problems(schema: str, body: Any) -> list[str]:
    """Keys out of the service's order (the schemas check names and types, not order)."""
    if not isinstance(body, dict):
        return []
    found: list[str] = []

    def want(where: str, value: Any, keys: list[str]) -> None:
        if isinstance(value, dict) and list(value) != keys:
            found.append(f"{where} keys {list(value)}, want {keys}")

    if schema == "OpenAIFile":
        want("File", body, FILE_ORDER)
    elif schema == "ListFilesResponse":
        want("list", body, FILE_LIST_ORDER)
        for item in body.get("data") or []:
            want("listed File", item, FILE_ORDER)
    elif schema == "DeleteFileResponse":
        want("deleted", body, DELETED_ORDER)
    elif schema == "UploadPart":
        want("Part", body, PART_ORDER)
    elif schema == "Upload":
        completed = body.get("status") == "completed"
        want("Upload", body, UPLOAD_ORDER + ["file"] if completed else UPLOAD_ORDER)
        if completed:
            want("Upload's File", body.get("file"), FILE_ORDER)
    elif schema == "ErrorResponse":
        want("error answer", body, ["error", "detail"])
        error, detail = body.get("error"), body.get("detail")
        want("error", error, ERROR_ORDER)
        want("detail", detail, DETAIL_ORDER)
        if isinstance(error, dict) and detail != {"message": error.get("message"), "code": error.get("code")}:
            found.append(f"detail {detail!r} does not repeat the error's message and code")
    return found


class WireChecker:
    """Checks every HTTP answer; collects violations for the running test phase."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._violations: list[str] = []
        self.checked = 0

    def inspect(self, response: httpx2.Response) -> list[str]:
        """Problems with one answer (reads the body unless it is file content or a HEAD answer)."""
        request = response.request
        method, path, status = request.method, request.url.path, response.status_code
        problems: list[str] = []
        h = response.headers
        # Every answer, on any path (the service names its project on every answer, FilesTests 2026-05-28).
        if not h.get("x-request-id"):
            problems.append("missing x-request-id")
        if h.get("openai-version") != "2020-10-01":
            problems.append(f"openai-version is {h.get('openai-version')!r}, want '2020-10-01'")
        if not re.fullmatch(r"\d+", h.get("openai-processing-ms", "")):
            problems.append(f"openai-processing-ms is {h.get('openai-processing-ms')!r}, want an integer")
        if not h.get("openai-organization"):
            problems.append("missing openai-organization")
        if not h.get("openai-project"):
            problems.append("missing openai-project")
        if h.get("x-content-type-options") != "nosniff":
            problems.append(f"x-content-type-options is {h.get('x-content-type-options')!r}, want 'nosniff'")
        schema = expected_schema(method, path, status)
        ctype = h.get("content-type", "")
        if schema == "ErrorResponse" and not ctype.startswith("application/json"):
            schema = None  # a dashboard page answering an error as HTML
        if method != "HEAD" and schema is not None:
            response.read()
            if ctype != "application/json":
                problems.append(f"content-type is {ctype!r}, want exactly 'application/json'")
            try:
                body = json.loads(response.content)
            except ValueError:
                problems.append(f"body is not JSON: {response.content[:200]!r}")
            else:
                problems += [f"{schema}: {e}" for e in schema_errors(schema, body)]
                problems += order_problems(schema, body)
                if response.content != service_json(body):
                    problems.append(f"not the service's JSON layout (indent 2, raw UTF-8, final newline): {response.content[:200]!r}")
        return [f"{method} {request.url} -> {status}: {p}" for p in problems]

    def hook(self, response: httpx2.Response) -> None:
        problems = self.inspect(response)
        with self._lock:
            self.checked += 1
            self._violations += problems

    def take(self) -> list[str]:
        with self._lock:
            found, self._violations = self._violations, []
        return found


CHECKER = WireChecker()
