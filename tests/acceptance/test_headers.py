"""OpenAI headers on every answer, success or error (the wire checker enforces them on all answers;
these tests name the cases explicitly)."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx2
import pytest
from mockfiles_kit import Server

CASES = [
    ("GET", "/v1/files", {}),
    ("GET", "/v1/files/file-doesnotexist", {}),
    ("GET", "/v1/files?limit=0", {}),
    ("POST", "/v1/files", {"files": {"file": ("x.txt", b"x")}, "data": {"purpose": "user_data"}}),
    ("POST", "/v1/files", {"files": {"file": ("x.txt", b"x")}, "data": {"purpose": "bogus"}}),
    ("GET", "/v1/nothing", {}),
]


def assert_openai_headers(r: httpx2.Response) -> None:
    assert r.headers.get("x-request-id"), "x-request-id"
    assert r.headers.get("openai-version") == "2020-10-01"
    assert re.fullmatch(r"\d+", r.headers.get("openai-processing-ms", "")), r.headers.get("openai-processing-ms")
    assert r.headers.get("openai-organization")
    assert r.headers.get("openai-project") == "proj_mockfiles", "the default project, as the default organization"
    assert r.headers.get("x-content-type-options") == "nosniff"


@pytest.mark.parametrize(("method", "path", "kwargs"), CASES, ids=[f"{m} {p}" for m, p, _ in CASES])
def test_openai_headers_on_answers(raw: httpx2.Client, method: str, path: str, kwargs: dict) -> None:
    r = raw.request(method, path, **kwargs)
    assert_openai_headers(r)
    assert r.headers["content-type"] == "application/json"


def test_openai_headers_on_401(make_raw: Callable[..., httpx2.Client], server: Server) -> None:
    r = make_raw(server, api_key=None).get("/v1/files")
    assert r.status_code == 401
    assert_openai_headers(r)


def test_openai_headers_on_content(raw: httpx2.Client) -> None:
    created = raw.post("/v1/files", files={"file": ("c.txt", b"content")}, data={"purpose": "vision"}).json()  # vision downloads
    r = raw.get(f"/v1/files/{created['id']}/content")
    assert r.status_code == 200 and r.content == b"content"
    assert_openai_headers(r)


def test_request_ids_are_unique(raw: httpx2.Client) -> None:
    ids = {raw.get("/v1/files", params={"limit": 1}).headers["x-request-id"] for _ in range(10)}
    assert len(ids) == 10
