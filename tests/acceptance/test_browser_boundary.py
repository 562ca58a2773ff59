"""The server seen from a browser: what a web page of another site can and cannot make it do.

The admin API (/admin/) without an admin token answers loopback peers only, and loopback is no browser
boundary, so it also refuses what only a page would send:
- a write (POST) without `Content-Type: application/json` (415 `unsupported_media_type`): the one body a page
  cannot send across sites without a CORS preflight, which /admin never grants. A `no-cors` form or
  `fetch` with `text/plain` resets, injects faults or moves the clock of nothing;
- an `Origin` that is not a loopback name (or `--public-hosts` name), `null` included (403 `admin_loopback_only`);
- a `Host` that is not a loopback name or a `--public-hosts` name (DNS rebinding: `attacker.example`
  resolving to 127.0.0.1 must not read the request log);
- with `--admin-token`, the token instead of the Host/Origin rules (the JSON rule stays).

The dashboard (/ui) takes form posts, which any page can send, so every write there, with a token or
without, must come from the dashboard's own origin (`Origin` and `Sec-Fetch-Site`; a page on another port
of the same host is the same site, so a SameSite cookie goes along) and carry its session's CSRF token;
sign-ins are throttled per peer address.

/v1 speaks CORS as the real service does (openai-node with `dangerouslyAllowBrowser`): preflights answered
without a key, the SDK's headers allowed, ours exposed, on errors too; `--cors-allowed-origins` narrows
`*` to a list. /admin never gets CORS headers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2
import openai
import pytest
from mockfiles_kit import Server
from mockfiles_kit.admin import Admin

from helpers import assert_error

EVIL = "https://evil.example"
JSON_ONLY = "Admin writes take 'Content-Type: application/json' (send {} when there is nothing to say)."
FAULT = {"status": 503, "times": 1, "path": "/v1/files"}
SIMPLE_TYPES = ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
SDK_HEADERS = "authorization, content-type, x-stainless-os"


@pytest.fixture(scope="module")
def guarded(start_server: Callable[..., Server]) -> Server:
    """No admin token: the loopback rules apply."""
    return start_server()


@pytest.fixture
def rig(guarded: Server, make_raw: Callable[..., httpx2.Client], make_client: Callable[..., openai.OpenAI]) -> tuple[Server, httpx2.Client, Admin, openai.OpenAI]:
    """The guarded server after a reset, with one file in it; `http` sends no key."""
    admin = Admin.of(make_raw, guarded)
    admin.reset()
    admin.set_clock(frozen=False)
    client = make_client(guarded.base_url)
    client.files.create(file=("keep.txt", b"keep"), purpose="vision")
    return guarded, make_raw(guarded, api_key=None), admin, client


def state(admin: Admin, client: openai.OpenAI) -> tuple[list[str], list[dict[str, Any]], bool]:
    return [f.id for f in client.files.list()], admin.faults(), admin.clock()["frozen"]


def assert_no_cors(r: httpx2.Response) -> None:
    cors = sorted(k for k in r.headers if k.lower().startswith("access-control-"))
    assert cors == [], f"{r.request.method} {r.request.url.path} must carry no CORS header, got {cors}"


# ---------------------------------------------------------------- cross-site writes to /admin


ADMIN_WRITES = [("/admin/reset", b"{}"), ("/admin/faults", b'{"status": 503, "times": 1, "path": "/v1/files"}'), ("/admin/clock", b'{"frozen": true}')]


@pytest.mark.parametrize(("path", "body"), ADMIN_WRITES, ids=["reset", "faults", "clock"])
@pytest.mark.parametrize("content_type", SIMPLE_TYPES, ids=["text-plain", "text-plain-charset", "form-urlencoded", "multipart"])
def test_a_no_cors_write_from_another_site_is_refused_and_changes_nothing(rig: tuple, path: str, body: bytes, content_type: str) -> None:
    """What `fetch(url, {method: "POST", mode: "no-cors", body})` or a form sends: no preflight, a simple type."""
    server, http, admin, client = rig
    before = state(admin, client)
    assert len(before[0]) == 1
    r = http.post(path, content=body, headers={"Content-Type": content_type, "Origin": EVIL})
    # The foreign Origin is refused first; the content type would be refused next (test below).
    assert_error(r, 403, message=f"The admin API does not answer requests from web pages of other origins (Origin: {EVIL}).", code="admin_loopback_only", param=None)
    assert_no_cors(r)
    assert state(admin, client) == before, "nothing reset, no fault added, the clock not frozen"


@pytest.mark.parametrize(("path", "body"), ADMIN_WRITES, ids=["reset", "faults", "clock"])
def test_a_write_without_json_is_415_even_from_loopback(rig: tuple, path: str, body: bytes) -> None:
    server, http, admin, client = rig
    before = state(admin, client)
    assert_error(http.post(path, content=body, headers={"Content-Type": "text/plain"}), 415, message=JSON_ONLY, code="unsupported_media_type")
    assert_error(http.post(path), 415, code="unsupported_media_type")  # no body and no Content-Type: still refused
    assert state(admin, client) == before


@pytest.mark.parametrize("origin", [EVIL, "null", "http://localhost.evil.example", "http://127.0.0.1.evil.example", "http://mockfiles:8080"])
@pytest.mark.parametrize(("path", "body"), ADMIN_WRITES, ids=["reset", "faults", "clock"])
def test_a_json_write_from_a_foreign_origin_is_403_and_changes_nothing(rig: tuple, path: str, body: bytes, origin: str) -> None:
    server, http, admin, client = rig
    before = state(admin, client)
    r = http.post(path, content=body, headers={"Content-Type": "application/json", "Origin": origin})
    error = assert_error(r, 403, code="admin_loopback_only", param=None)
    assert error["message"] == f"The admin API does not answer requests from web pages of other origins (Origin: {origin}).", error
    assert_no_cors(r)
    assert state(admin, client) == before


@pytest.mark.parametrize("origin", [EVIL, "null"])
@pytest.mark.parametrize("path", ["/admin/requests", "/admin/faults", "/admin/clock"])
def test_a_read_from_a_foreign_origin_is_403(rig: tuple, path: str, origin: str) -> None:
    server, http, admin, client = rig
    r = http.get(path, headers={"Origin": origin})
    assert_error(r, 403, code="admin_loopback_only")
    assert_no_cors(r)


def test_a_delete_from_a_foreign_origin_is_403(rig: tuple) -> None:
    server, http, admin, client = rig
    fault = admin.add_fault(**FAULT)
    assert_error(http.delete("/admin/faults", headers={"Origin": EVIL}), 403, code="admin_loopback_only")
    assert_error(http.delete(f"/admin/faults/{fault['id']}", headers={"Origin": EVIL}), 403, code="admin_loopback_only")
    assert [f["id"] for f in admin.faults()] == [fault["id"]]
    admin.clear_faults()


@pytest.mark.parametrize("origin", ["http://localhost:3000", "http://app.localhost:5173", "http://127.0.0.1:8080", "http://[::1]:8080", "https://localhost"])
def test_a_loopback_origin_is_allowed_without_cors_headers(rig: tuple, origin: str) -> None:
    """A page served from the machine itself (a dashboard on localhost) may call; the answer still has no
    CORS headers (/admin never has them): a page of another loopback port reads nothing."""
    server, http, admin, client = rig
    r = http.get("/admin/faults", headers={"Origin": origin})
    assert r.status_code == 200, r.text
    assert_no_cors(r)
    w = http.post("/admin/reset", json={}, headers={"Origin": origin})
    assert w.status_code == 200, w.text
    assert_no_cors(w)


def test_a_json_content_type_with_parameters_is_json(rig: tuple) -> None:
    server, http, admin, client = rig
    r = http.post("/admin/reset", content=b"{}", headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 200, r.text
    assert client.files.list().data == []


def test_a_preflight_to_admin_gets_no_cors(rig: tuple) -> None:
    server, http, admin, client = rig
    r = http.options("/admin/reset", headers={"Origin": EVIL, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert r.status_code in (403, 404), r.text
    assert_no_cors(r)
    assert len(client.files.list().data) == 1


# ---------------------------------------------------------------- DNS rebinding: the Host header


def test_a_rebinding_host_cannot_read_the_request_log(rig: tuple) -> None:
    server, http, admin, client = rig
    r = http.get("/admin/requests", headers={"Host": f"attacker.example:{server.port}"})
    error = assert_error(r, 403, code="admin_loopback_only", param=None)
    assert error["message"].startswith("The admin API answers requests for a loopback host name"), error
    assert "req_" not in r.text, "nothing of the log leaks"


@pytest.mark.parametrize("host", ["attacker.example", "mockfiles", "localhost.attacker.example", "127.0.0.1.attacker.example", "10.0.0.1"])
def test_a_host_that_is_not_loopback_is_403_for_writes_too(rig: tuple, host: str) -> None:
    server, http, admin, client = rig
    before = state(admin, client)
    assert_error(http.post("/admin/reset", json={}, headers={"Host": f"{host}:{server.port}"}), 403, code="admin_loopback_only")
    assert_error(http.get("/admin/faults", headers={"Host": host}), 403, code="admin_loopback_only")
    assert state(admin, client) == before


@pytest.mark.parametrize("host", ["localhost", "LocalHost", "app.localhost", "127.0.0.1", "127.9.8.7", "[::1]"])
def test_loopback_host_names_are_allowed(rig: tuple, host: str) -> None:
    server, http, admin, client = rig
    r = http.get("/admin/requests", headers={"Host": f"{host}:{server.port}"})
    assert r.status_code == 200, r.text


def test_public_hosts_are_allowed_by_name(start_server: Callable[..., Server], make_raw: Callable[..., httpx2.Client]) -> None:
    server = start_server("--public-hosts", "mockfiles, mock.internal")
    http = make_raw(server, api_key=None)
    for host in ("mockfiles", "MOCKFILES", "mock.internal", "localhost"):
        r = http.get("/admin/requests", headers={"Host": f"{host}:{server.port}"})
        assert r.status_code == 200, f"Host {host}: {r.status_code} {r.text}"
    r = http.post("/admin/reset", json={}, headers={"Host": f"mockfiles:{server.port}", "Origin": "http://mockfiles:8080"})
    assert r.status_code == 200, "an Origin on a public host is allowed too"
    assert_error(http.get("/admin/requests", headers={"Host": f"attacker.example:{server.port}"}), 403, code="admin_loopback_only")
    assert_error(http.get("/admin/requests", headers={"Origin": EVIL}), 403, code="admin_loopback_only")
    assert_error(http.post("/admin/reset", content=b"{}", headers={"Host": f"mockfiles:{server.port}", "Content-Type": "text/plain"}), 415, code="unsupported_media_type")


# ---------------------------------------------------------------- with an admin token


def test_the_admin_token_replaces_host_and_origin_checks_but_not_json(start_server: Callable[..., Server], make_raw: Callable[..., httpx2.Client], make_client: Callable[..., openai.OpenAI]) -> None:
    server = start_server("--admin-token", "T0ken")
    client = make_client(server.base_url)
    client.files.create(file=("t.txt", b"t"), purpose="vision")
    http = make_raw(server, api_key=None)
    foreign = {"Host": f"attacker.example:{server.port}", "Origin": EVIL}
    r = http.get("/admin/requests", headers={"Authorization": "Bearer T0ken", **foreign})
    assert r.status_code == 200, r.text
    for token in (None, "wrong", "sk-test", "T0ken2"):
        auth = {"Authorization": f"Bearer {token}"} if token else {}
        error = assert_error(http.get("/admin/requests", headers=auth), 401, code="invalid_admin_token", param=None)
        assert error["message"] == "The admin API needs the admin token as 'Authorization: Bearer <token>'.", error
        assert_error(http.post("/admin/reset", json={}, headers={**auth, **foreign}), 401, code="invalid_admin_token")
    assert_error(http.post("/admin/reset", content=b"{}", headers={"Authorization": "Bearer T0ken", "Content-Type": "text/plain", **foreign}), 415, code="unsupported_media_type")
    assert len(client.files.list().data) == 1, "nothing reset so far"
    r = http.post("/admin/reset", json={}, headers={"Authorization": "Bearer T0ken", **foreign})
    assert r.status_code == 200, r.text
    assert_no_cors(r)
    assert client.files.list().data == []


# ---------------------------------------------------------------- CORS on /v1


def preflight(http: httpx2.Client, path: str, origin: str = "https://app.example", headers: str = SDK_HEADERS, method: str = "POST") -> httpx2.Response:
    return http.options(path, headers={"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers})


def methods(r: httpx2.Response) -> set[str]:
    return {m.strip() for m in r.headers.get("access-control-allow-methods", "").split(",")}


@pytest.mark.parametrize("path", ["/v1/files", "/v1/files/file-abc", "/v1/files/file-abc/content", "/v1/uploads", "/v1/uploads/upload_abc/parts"])
def test_a_preflight_is_204_without_a_key(guarded: Server, make_raw: Callable[..., httpx2.Client], path: str) -> None:
    r = preflight(make_raw(guarded, api_key=None), path)
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert r.headers["access-control-allow-origin"] == "*"
    assert {"GET", "POST", "DELETE"} <= methods(r), r.headers
    assert r.headers["access-control-allow-headers"] == SDK_HEADERS
    assert r.headers["access-control-max-age"] == "600"


def test_a_preflight_grants_the_sdk_headers_and_drops_others(guarded: Server, make_raw: Callable[..., httpx2.Client]) -> None:
    asked = "Authorization, Content-Type, Accept, OpenAI-Organization, OpenAI-Project, OpenAI-Beta, Idempotency-Key, X-Stainless-Lang, x-stainless-retry-count, x-evil, cookie, x-openai-secret"
    r = preflight(make_raw(guarded, api_key=None), "/v1/files", headers=asked, method="DELETE")
    assert r.status_code == 204
    granted = [h.strip() for h in r.headers["access-control-allow-headers"].split(",")]
    assert granted == ["authorization", "content-type", "accept", "openai-organization", "openai-project", "openai-beta", "idempotency-key", "x-stainless-lang", "x-stainless-retry-count"]


EXPOSED = {"x-request-id", "openai-organization", "openai-processing-ms", "openai-version"}


def exposed(r: httpx2.Response) -> set[str]:
    return {h.strip().lower() for h in r.headers.get("access-control-expose-headers", "").split(",")}


@pytest.mark.parametrize(("key", "method", "path", "status"), [("sk-test", "GET", "/v1/files", 200), (None, "GET", "/v1/files", 401), ("sk-test", "GET", "/v1/files/file-missing", 404), ("sk-test", "GET", "/v1/nothing", 404)])
def test_an_answer_to_a_request_with_an_origin_allows_it(guarded: Server, make_raw: Callable[..., httpx2.Client], key: str | None, method: str, path: str, status: int) -> None:
    r = make_raw(guarded, api_key=key).request(method, path, headers={"Origin": "https://app.example"})
    assert r.status_code == status, r.text
    assert r.headers["access-control-allow-origin"] == "*"
    assert EXPOSED <= exposed(r), r.headers


def test_the_sdk_reads_headers_across_origins(guarded: Server, make_client: Callable[..., openai.OpenAI]) -> None:
    client = make_client(guarded.base_url, default_headers={"Origin": "https://app.example"})
    response = client.files.with_raw_response.list()
    assert response.headers["access-control-allow-origin"] == "*"
    assert EXPOSED <= {h.strip() for h in response.headers["access-control-expose-headers"].split(",")}


def test_no_origin_no_cors_headers_but_on_files_and_uploads(guarded: Server, make_raw: Callable[..., httpx2.Client]) -> None:
    """Files and Uploads answers allow any origin unasked, as every recorded one does (openai/openai-dotnet
    SessionRecords, 2025-09 to 2026-05, no request with an Origin); other paths only when asked."""
    http = make_raw(guarded)
    for r in (http.get("/v1/nothing"), http.get("/health"), make_raw(guarded, api_key=None).get("/admin/faults")):
        assert_no_cors(r)
    r = http.options("/v1/files")
    assert_error(r, 404, message="Invalid URL (OPTIONS /v1/files)")
    for r in (r, http.get("/v1/files"), make_raw(guarded, api_key=None).get("/v1/files"), http.post("/v1/uploads/upload_x/cancel")):
        assert r.headers["access-control-allow-origin"] == "*", (r.request.url, r.headers)
        assert EXPOSED <= exposed(r), r.headers


def test_health_and_metrics_get_no_cors(guarded: Server, make_raw: Callable[..., httpx2.Client]) -> None:
    http = make_raw(guarded, api_key=None)
    for path in ("/health", "/metrics", "/admin/faults"):
        r = http.get(path, headers={"Origin": "http://localhost:3000"})
        assert r.status_code == 200, r.text
        assert_no_cors(r)


def test_cors_allowed_origins_narrows_to_a_list(start_server: Callable[..., Server], make_raw: Callable[..., httpx2.Client]) -> None:
    server = start_server("--cors-allowed-origins", "https://a.example")
    http = make_raw(server)
    ok = http.get("/v1/files", headers={"Origin": "https://a.example"})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://a.example"
    assert "origin" in {v.strip().lower() for v in ok.headers.get("vary", "").split(",")}, ok.headers
    assert EXPOSED <= exposed(ok)
    pre = preflight(make_raw(server, api_key=None), "/v1/files", origin="https://a.example")
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == "https://a.example", pre.headers
    assert "origin" in pre.headers.get("vary", "").lower()
    other = http.get("/v1/files", headers={"Origin": "https://b.example"})
    assert other.status_code == 200, "the request is served; the browser withholds the answer"
    assert_no_cors(other)
    assert_no_cors(http.get("/v1/files"))  # with a list, no Origin is not an allowed one
    refused = preflight(make_raw(server, api_key=None), "/v1/files", origin="https://b.example")
    assert refused.status_code == 204
    assert_no_cors(refused)


# ---------------------------------------------------------------- the dashboard's writes (/ui)


def dashboard(server: Server) -> httpx2.Client:
    """A plain client on one instance: the dashboard answers HTML (the wire checker wants envelopes) and
    its sessions live in the instance that signed in."""
    return httpx2.Client(base_url=server.root_url, timeout=30.0)


def sign_in(http: httpx2.Client, token: str) -> dict[str, str]:
    """Signs in; the Cookie header of the session (its cookie is Secure, so no jar sends it over http)."""
    r = http.post("/ui/login", data={"token": token})
    assert r.status_code == 303, r.text
    return {"Cookie": r.headers["set-cookie"].split(";")[0]}


def page_csrf(http: httpx2.Client, headers: dict[str, str]) -> str:
    page = http.get("/ui/controls", headers=headers)
    assert page.status_code == 200, page.text
    return page.text.split('name="csrf" value="')[1].split('"')[0]


@pytest.mark.parametrize("token", ["T0ken", None])
def test_a_dashboard_write_from_another_port_of_the_host_is_refused(start_server: Callable[..., Server], make_raw: Callable[..., httpx2.Client], token: str | None) -> None:
    server = start_server(*(["--admin-token", token] if token else []))
    with dashboard(server) as http:
        session = sign_in(http, token) if token else {}
        form = {"path": "/v1/models", "status": "503", "csrf": page_csrf(http, session)}
        for foreign in ({"Origin": f"http://127.0.0.1:{server.port + 1}"}, {"Origin": f"http://localhost:{server.port}"}, {"Sec-Fetch-Site": "same-site"}):
            r = http.post("/ui/faults", data=form, headers={**session, **foreign})
            assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed", (foreign, r.text)
        own = {"Origin": server.root_url, "Sec-Fetch-Site": "same-origin"}
        assert http.post("/ui/faults", data=form, headers={**session, **own}).status_code == 303
    admin = make_raw(server, api_key=token)
    assert len(admin.get("/admin/faults").json()["data"]) == 1, "only the write from the dashboard's own origin"


def test_sign_ins_are_throttled_per_peer_the_right_token_included(start_server: Callable[..., Server]) -> None:
    server = start_server("--admin-token", "T0ken")
    with dashboard(server) as http:
        for _ in range(5):
            assert http.post("/ui/login", data={"token": "guess"}).status_code == 401
        for guess in ("guess", "T0ken"):
            r = http.post("/ui/login", data={"token": guess})
            assert r.status_code == 429 and "set-cookie" not in r.headers, r.text
            assert 1 <= int(r.headers["retry-after"]) <= 60 and "Too many wrong tokens" in r.text, r.headers
