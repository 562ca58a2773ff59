"""Authentication, unknown routes and the health probe."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import httpx2
import openai
import pytest
from mockfiles_kit import Server

from helpers import assert_error

NO_KEY = "You didn't provide an API key"

API_CALLS = [
    ("GET", "/v1/files"),
    ("POST", "/v1/files"),
    ("GET", "/v1/files/file-abc"),
    ("DELETE", "/v1/files/file-abc"),
    ("GET", "/v1/files/file-abc/content"),
]


@pytest.mark.parametrize(("method", "path"), API_CALLS)
def test_missing_api_key_is_401(make_raw: Callable[..., httpx2.Client], server: Server, method: str, path: str) -> None:
    r = make_raw(server, api_key=None).request(method, path)
    error = assert_error(r, 401, param=None, code=None)
    assert error["message"].startswith(NO_KEY), error


def basic(credentials: bytes) -> str:
    return "Basic " + base64.b64encode(credentials).decode()


MALFORMED = [
    ("Bearer", "no key after the scheme"),
    ("sk-test", "no scheme"),
    ("Token sk-test", "an unknown scheme"),
    ("Basic", "Basic without credentials"),
    ("Basic !!!not-base64!!!", "Basic that is not base64"),
    (basic(b"sk-test"), "Basic without a colon"),
    (basic(b":"), "Basic with an empty password"),
    (basic(b"sk-test:"), "Basic with the key as user name and no password"),
]


@pytest.mark.parametrize("authorization", [a for a, _ in MALFORMED], ids=[i for _, i in MALFORMED])
def test_malformed_authorization_is_401(make_raw: Callable[..., httpx2.Client], server: Server, authorization: str) -> None:
    r = make_raw(server, api_key=None).get("/v1/files", headers={"Authorization": authorization})
    error = assert_error(r, 401, param=None, code=None)
    assert error["message"].startswith(NO_KEY), error


@pytest.mark.parametrize("credentials", [b":sk-basic", b"anyone:sk-basic"], ids=["blank-user", "any-user"])
def test_basic_with_the_key_as_password_works_like_bearer(
    start_server: Callable[..., Server], make_raw: Callable[..., httpx2.Client], make_client: Callable[..., openai.OpenAI], credentials: bytes
) -> None:
    """What the 401 message promises ("or as the password field (with blank username)"): the key as the
    password of Basic auth. Under per-key tenancy it is the same tenant as `Bearer` with that key."""
    server = start_server("--tenancy", "per-key")
    made = make_client(server.base_url, api_key="sk-basic").files.create(file=("b.txt", b"basic"), purpose="vision")
    http = make_raw(server, api_key=None)
    listed = http.get("/v1/files", headers={"Authorization": basic(credentials)})
    assert listed.status_code == 200, listed.text
    assert [f["id"] for f in listed.json()["data"]] == [made.id], "the Basic password is the Bearer key's tenant"
    content = http.get(f"/v1/files/{made.id}/content", headers={"Authorization": basic(credentials)})
    assert (content.status_code, content.content) == (200, b"basic")
    other = http.get("/v1/files", headers={"Authorization": basic(b":sk-other")})
    assert (other.status_code, other.json()["data"]) == (200, []), "another password is another tenant"
    by_basic = http.post("/v1/files", headers={"Authorization": basic(credentials)}, files={"file": ("c.txt", b"c")}, data={"purpose": "vision"})
    assert by_basic.status_code == 200, by_basic.text
    assert {f.id for f in make_client(server.base_url, api_key="sk-basic").files.list()} == {made.id, by_basic.json()["id"]}


def test_any_bearer_key_works_without_a_key_list(make_client: Callable[..., openai.OpenAI], base_url: str) -> None:
    assert make_client(base_url, api_key="sk-anything-at-all").files.list(limit=1).object == "list"


def test_health_needs_no_key(server: Server) -> None:
    r = httpx2.get(f"{server.root_url}/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/nothing"), ("POST", "/v1/nothing"), ("GET", "/v1/files/file-abc/content/more"), ("PUT", "/v1/files")])
def test_unknown_route_is_404_invalid_url(raw: httpx2.Client, method: str, path: str) -> None:
    r = raw.request(method, path)
    assert_error(r, 404, message=f"Invalid URL ({method} {path})")


@pytest.fixture(scope="module")
def keyed_server(start_server: Callable[..., Server], tmp_path_factory: pytest.TempPathFactory) -> Server:
    config = tmp_path_factory.mktemp("config") / "keys.json"
    config.write_text(json.dumps({"apiKeys": ["sk-a=org-a/proj-a", "sk-b=org-b/proj-b"], "rejectUnknownKeys": True}))
    return start_server("--config", str(config))


def test_listed_key_is_accepted_and_names_its_organization(make_client: Callable[..., openai.OpenAI], keyed_server: Server) -> None:
    response = make_client(keyed_server.base_url, api_key="sk-a").files.with_raw_response.list()
    assert response.http_response.status_code == 200
    assert response.headers["openai-organization"] == "org-a"


def test_unknown_key_is_rejected_with_invalid_api_key(make_client: Callable[..., openai.OpenAI], keyed_server: Server) -> None:
    with pytest.raises(openai.AuthenticationError) as e:
        make_client(keyed_server.base_url, api_key="sk-unknown").files.list()
    assert_error(e.value, 401, code="invalid_api_key")


def test_unknown_key_cannot_create(make_client: Callable[..., openai.OpenAI], keyed_server: Server) -> None:
    with pytest.raises(openai.AuthenticationError) as e:
        make_client(keyed_server.base_url, api_key="sk-unknown").files.create(file=("x.txt", b"x"), purpose="user_data")
    assert_error(e.value, 401, code="invalid_api_key")
