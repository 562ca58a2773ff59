"""The wire contract every answer must keep: OpenAI headers on /v1 answers, JSON matching the official
schema for its route, errors always as the `{"error": {...}}` envelope. The admin API (/admin/) is mockfiles'
own, not OpenAI's: its answers are not checked against the OpenAI schemas."""

from __future__ import annotations

import re
import threading

import httpx2

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
    if path == "/admin" or path.startswith("/admin/"):
        return None
    if status >= 400:
        return "ErrorResponse"
    for m, pattern, schema in ROUTES:
        if m == method and pattern.fullmatch(path):
            return schema
    return None


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
        if path.startswith("/v1/"):
            h = response.headers
            if not h.get("x-request-id"):
                problems.append("missing x-request-id")
            if h.get("openai-version") != "2020-10-01":
                problems.append(f"openai-version is {h.get('openai-version')!r}, want '2020-10-01'")
            if not re.fullmatch(r"\d+", h.get("openai-processing-ms", "")):
                problems.append(f"openai-processing-ms is {h.get('openai-processing-ms')!r}, want an integer")
            if not h.get("openai-organization"):
                problems.append("missing openai-organization")
        schema = expected_schema(method, path, status)
        if method != "HEAD" and schema is not None:
            response.read()
            ctype = response.headers.get("content-type", "")
            if not ctype.startswith("application/json"):
                problems.append(f"content-type is {ctype!r}, want application/json")
            try:
                body = response.json()
            except ValueError:
                problems.append(f"body is not JSON: {response.content[:200]!r}")
            else:
                problems += [f"{schema}: {e}" for e in schema_errors(schema, body)]
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
