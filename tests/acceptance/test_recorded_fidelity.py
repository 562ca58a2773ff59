"""Issue 30: answer as the real service answered in the recordings of openai/openai-dotnet
(tests/SessionRecords, 2025-09 to 2026-05), item by item, through raw HTTP and the official SDK:

- headers on every answer, errors and refusals below the router included: `openai-version`,
  `openai-organization`, `openai-project` (the tenant's project, else `proj_mockfiles`), `x-request-id`,
  `openai-processing-ms`, `X-Content-Type-Options: nosniff`; JSON as `application/json` without a charset;
- `Access-Control-Allow-Origin: *` and `Access-Control-Expose-Headers` on /v1/files and /v1/uploads
  whether or not the request has an Origin (no recorded request had one); other paths as before;
- every error as `{"error": {message, type, param, code}, "detail": {message, code}}`, written in that
  order and in the service's layout, byte for byte, on every path (connection-level refusals, 401s,
  404 Invalid URL, injected faults, the admin API), so the SDK's exception reads the same on every call;
- ids: `upload_`/`part_` and 32 hex, the first 8 the creation time and hex 13-16 `8191`; `file-` and 22
  base58; `--id-seed` still repeats them run to run;
- a File made by completing an Upload has the Upload's created_at; a fine-tune Upload's bytes are not
  checked as JSONL on completion; a pending or cancelled Upload has no `file` key;
- batch files: no extension is fine, another extension is refused, an empty file or a first line that is
  not JSON is refused at upload, later bad lines are not; Upload create applies the same name rule.

Exact texts and bytes come from the recordings where they were recorded (FilesTests 2026-05-28,
UploadsTests 2025-09-29, BatchTests 2025-10-31) and from the team's spec where they were not.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from urllib.parse import quote

import httpx2
import openai
import pytest
from mockfiles_kit import Server
from mockfiles_kit.admin import Admin

import shared_pair
from helpers import (
    DELETED_ORDER,
    ERROR_ORDER,
    FILE_ID,
    FILE_ORDER,
    PART_ID,
    UPLOAD_ID,
    UPLOAD_ORDER,
    assert_error,
    envelope,
    error_bytes,
    laid_out,
    service_json,
)
from rawhttp import Answer, Conn, connector, request

DEFAULT_ORGANIZATION = "org-mockfiles"
DEFAULT_PROJECT = "proj_mockfiles"
EXPOSED = "x-request-id, openai-organization, openai-project, openai-processing-ms, openai-version, retry-after, retry-after-ms, x-should-retry"
THIRTY_DAYS = 2592000
NO_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: "
    "Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted "
    "for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys."
)
BATCH_FORMAT = "Invalid file format for Batch API. Must be .jsonl"
FINE_TUNE_FORMAT = "Invalid file format for Fine-Tuning API. Must be .jsonl"
ADMIN_JSON_ONLY = "Admin writes take 'Content-Type: application/json' (send {} when there is nothing to say)."
# The recorded batch input line (BatchTests/CreateGetAndCancelBatchProtocol.json, 2025-10-31): 233 bytes.
BATCH_LINE = (
    b'{"custom_id": "request-1", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o-mini", "messages": '
    b'[{"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": "What is 2+2?"}]}}\r\n'
)
CHAT_LINE = json.dumps({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}).encode() + b"\n"
AUTH = "Authorization: Bearer sk-test"
KB = 1024


@pytest.fixture
def connect() -> Iterator[Callable[[Server], Conn]]:
    yield from connector()


@pytest.fixture(scope="module")
def own(start_server: Callable[..., Server]) -> Server:
    """A server of this module's own: its clock and faults are moved here."""
    return start_server("--downloadable-purposes", "all")


@pytest.fixture
def admin(make_raw: Callable[..., httpx2.Client], own: Server) -> Iterator[Admin]:
    admin = Admin.of(make_raw, own)
    admin.reset()
    yield admin
    admin.set_clock(now=time.time(), frozen=False)  # reset leaves the clock where it was moved
    admin.reset()


@pytest.fixture
def http(make_raw: Callable[..., httpx2.Client], own: Server) -> httpx2.Client:
    return make_raw(own)


@pytest.fixture
def sdk(make_client: Callable[..., openai.OpenAI], own: Server) -> openai.OpenAI:
    return make_client(own.base_url)


def exchange(c: Conn, method: str, target: str, *headers: bytes | str, body: bytes = b"") -> Answer:
    c.send(request(method, target, *headers, body=body))
    return c.read_answer(10.0, method=method, path=target.split("?", 1)[0])


def assert_named(headers: httpx2.Headers | dict[str, str], *, organization: str = DEFAULT_ORGANIZATION, project: str = DEFAULT_PROJECT) -> None:
    """The headers the service sends on every answer (FilesTests 2026-05-28: all 52 Files answers)."""
    assert re.fullmatch(r"req_[0-9a-f]{32}", headers.get("x-request-id", "")), headers
    assert headers.get("openai-version") == "2020-10-01", headers
    assert re.fullmatch(r"[0-9]+", headers.get("openai-processing-ms", "")), headers
    assert headers.get("openai-organization") == organization, headers
    assert headers.get("openai-project") == project, headers
    assert headers.get("x-content-type-options") == "nosniff", headers


def cors_of(headers: httpx2.Headers | dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items() if k.lower().startswith("access-control-")}


# ---------------------------------------------------------------- headers on every answer


@pytest.fixture(scope="module")
def signed(start_server: Callable[..., Server]) -> Server:
    """A server with an admin token: its dashboard shows the login page."""
    return start_server("--admin-token", "issue30-token")


EVERY_ANSWER = [
    ("GET /v1/files", 200),
    ("GET /v1/files/fake_id", 404),
    ("POST /v1/files purpose world_domination", 400),
    ("GET /v1/files without a key", 401),
    ("GET /v1/nothing", 404),
    ("GET /v1/files/ID/content", 200),
    ("POST /v1/uploads", 200),
    ("POST /v1/uploads/upload_missing/cancel", 404),
    ("GET /admin/faults", 200),
    ("POST /admin/reset as text", 415),
    ("GET /health", 200),
    ("GET /metrics", 200),
    ("GET /openapi.yaml", 200),
    ("GET /ui/login", 200),
    ("GET /ui/files with a token set", 303),
]


def answer_to(case: str, make_raw: Callable[..., httpx2.Client], server: Server, signed: Server) -> httpx2.Response:
    http = make_raw(server)
    if case == "GET /v1/files/ID/content":
        created = http.post("/v1/files", files={"file": ("c.png", b"\x89PNG\r\n\x1a\n")}, data={"purpose": "vision"}).json()
        return http.get(f"/v1/files/{created['id']}/content")
    if case == "POST /v1/files purpose world_domination":
        return http.post("/v1/files", files={"file": ("x.txt", b"x")}, data={"purpose": "world_domination"})
    if case == "GET /v1/files without a key":
        return make_raw(server, api_key=None).get("/v1/files")
    if case == "POST /v1/uploads":
        return http.post("/v1/uploads", json={"purpose": "user_data", "filename": "h.bin", "bytes": 1, "mime_type": "text/plain"})
    if case == "POST /admin/reset as text":
        return make_raw(server, api_key=None).post("/admin/reset", content=b"{}", headers={"Content-Type": "text/plain"})
    if case == "GET /ui/login":
        return make_raw(signed, api_key=None).get("/ui/login")
    if case == "GET /ui/files with a token set":
        return make_raw(signed, api_key=None).get("/ui/files")
    method, path = case.split(" ", 1)
    return make_raw(server, api_key=None if path.startswith(("/admin", "/health", "/metrics", "/openapi")) else "sk-test").request(method, path)


@pytest.mark.parametrize(("case", "status"), EVERY_ANSWER, ids=[c for c, _ in EVERY_ANSWER])
def test_every_answer_names_version_organization_project_and_nosniff(make_raw: Callable[..., httpx2.Client], own: Server, signed: Server, case: str, status: int) -> None:
    r = answer_to(case, make_raw, own, signed)
    assert r.status_code == status, f"{case}: {r.status_code} {r.text[:300]}"
    assert_named(r.headers)
    if case.startswith(("GET /v1", "POST /v1")) and not case.endswith("/content"):
        assert r.headers["content-type"] == "application/json", "no charset: the recordings' Content-Type on 200 and 4xx alike"


def test_a_download_is_octet_stream_with_the_files_name(http: httpx2.Client) -> None:
    """FilesTests/DownloadContent.json (2026-05-28): application/octet-stream and the name, besides the usual set."""
    created = http.post("/v1/files", files={"file": ("images_dog_and_cat.png", b"\x89PNG\r\n\x1a\nbytes")}, data={"purpose": "vision"}).json()
    r = http.get(f"/v1/files/{created['id']}/content", headers={"Accept": "text/plain"})
    assert (r.status_code, r.content) == (200, b"\x89PNG\r\n\x1a\nbytes")
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-disposition"] == 'attachment; filename="images_dog_and_cat.png"'
    assert_named(r.headers)
    assert (r.headers["access-control-allow-origin"], r.headers["access-control-expose-headers"]) == ("*", EXPOSED)


# ---------------------------------------------------------------- openai-project: the tenant's


@pytest.fixture(scope="module")
def per_project(start_server: Callable[..., Server], tmp_path_factory: pytest.TempPathFactory) -> Server:
    config = tmp_path_factory.mktemp("issue30-keys") / "keys.json"
    config.write_text(json.dumps({"tenancy": "per-project", "apiKeys": ["sk-web=org-a/proj-web", "sk-org-b=org-b"]}))
    return start_server("--config", str(config))


@pytest.fixture(scope="module")
def per_key(start_server: Callable[..., Server]) -> Server:
    return start_server("--tenancy", "per-key")


@pytest.mark.parametrize("path", ["/v1/files", "/v1/files/fake_id"], ids=["200", "404"])
def test_the_project_sent_is_the_project_answered(make_raw: Callable[..., httpx2.Client], own: Server, per_key: Server, path: str) -> None:
    for server in (own, per_key):
        http = make_raw(server)
        assert_named(http.get(path).headers)  # none sent: the default project, as the default organization
        assert_named(http.get(path, headers={"OpenAI-Project": "proj_WyD7Ti008fMTnMBg2heMRYqq"}).headers, project="proj_WyD7Ti008fMTnMBg2heMRYqq")
        named = http.get(path, headers={"OpenAI-Organization": "org-x", "OpenAI-Project": "proj-x"}).headers
        assert_named(named, organization="org-x", project="proj-x")


def test_a_mapped_key_answers_its_own_project(make_raw: Callable[..., httpx2.Client], per_project: Server) -> None:
    assert_named(make_raw(per_project, api_key="sk-web").get("/v1/files").headers, organization="org-a", project="proj-web")
    assert_named(make_raw(per_project, api_key="sk-web").get("/v1/files/fake_id").headers, organization="org-a", project="proj-web")
    # A key mapped to an organization only: the project from the header, else the default.
    assert_named(make_raw(per_project, api_key="sk-org-b").get("/v1/files").headers, organization="org-b")
    assert_named(make_raw(per_project, api_key="sk-org-b").get("/v1/files", headers={"OpenAI-Project": "proj-b1"}).headers, organization="org-b", project="proj-b1")


def test_the_sdk_reads_the_project_it_sent(make_client: Callable[..., openai.OpenAI], own: Server, per_project: Server) -> None:
    listed = make_client(own.base_url, project="proj_sdk").files.with_raw_response.list()
    assert listed.headers["openai-project"] == "proj_sdk"
    created = make_client(per_project.base_url, api_key="sk-web").uploads.with_raw_response.create(bytes=1, filename="p.bin", mime_type="text/plain", purpose="user_data")
    assert (created.headers["openai-organization"], created.headers["openai-project"]) == ("org-a", "proj-web")


# ---------------------------------------------------------------- CORS on /v1/files and /v1/uploads


NO_ORIGIN_FILES_AND_UPLOADS = [
    ("GET", "/v1/files", "sk-test", 200),
    ("HEAD", "/v1/files", "sk-test", 200),
    ("GET", "/v1/files/fake_id", "sk-test", 404),
    ("DELETE", "/v1/files/fake_id", "sk-test", 404),
    ("GET", "/v1/files/fake_id/content", "sk-test", 404),
    ("GET", "/v1/files", None, 401),
    ("GET", "/v1/files?limit=0", "sk-test", 400),
    ("OPTIONS", "/v1/files", "sk-test", 404),
    ("POST", "/v1/uploads/upload_missing/cancel", "sk-test", 404),
    ("POST", "/v1/uploads/upload_missing/parts", "sk-test", 404),
]


@pytest.mark.parametrize(("method", "path", "key", "status"), NO_ORIGIN_FILES_AND_UPLOADS, ids=[f"{m} {p} {s}" for m, p, _, s in NO_ORIGIN_FILES_AND_UPLOADS])
def test_files_and_uploads_allow_any_origin_without_an_origin(make_raw: Callable[..., httpx2.Client], own: Server, method: str, path: str, key: str | None, status: int) -> None:
    """No recorded request had an Origin, and every Files and Uploads answer has ACAO `*` (2025-09 → 2026-05)."""
    kwargs = {"files": {"data": ("d", b"x")}} if path.endswith("/parts") else {}
    r = make_raw(own, api_key=key).request(method, path, **kwargs)
    assert r.status_code == status, r.text
    assert cors_of(r.headers) == {"access-control-allow-origin": "*", "access-control-expose-headers": EXPOSED}


def test_the_whole_upload_flow_carries_them(sdk: openai.OpenAI) -> None:
    created = sdk.uploads.with_raw_response.create(bytes=3, filename="c.txt", mime_type="text/plain", purpose="user_data")
    upload = created.parse()
    part = sdk.uploads.parts.with_raw_response.create(upload_id=upload.id, data=b"abc")
    done = sdk.uploads.with_raw_response.complete(upload.id, part_ids=[part.parse().id])
    listed = sdk.files.with_raw_response.list()
    for answer in (created, part, done, listed):
        assert cors_of(answer.headers) == {"access-control-allow-origin": "*", "access-control-expose-headers": EXPOSED}


@pytest.mark.parametrize(("path", "status"), [("/v1/nothing", 404), ("/v1/models", 404)])
def test_other_v1_paths_get_cors_only_with_an_origin(make_raw: Callable[..., httpx2.Client], own: Server, path: str, status: int) -> None:
    """Batches answers in the recordings have no ACAO: the distinction stays for what is not Files or Uploads."""
    http = make_raw(own)
    bare = http.get(path)
    assert bare.status_code == status
    assert cors_of(bare.headers) == {}
    asked = http.get(path, headers={"Origin": "https://app.example"})
    assert asked.headers.get("access-control-allow-origin") == "*"


@pytest.mark.parametrize("path", ["/health", "/metrics", "/admin/faults"])
def test_non_api_paths_get_no_cors_either_way(make_raw: Callable[..., httpx2.Client], own: Server, path: str) -> None:
    http = make_raw(own, api_key=None)
    for headers in ({}, {"Origin": "http://localhost:3000"}):
        r = http.get(path, headers=headers)
        assert r.status_code == 200 and cors_of(r.headers) == {}, (path, headers, r.headers)


def test_a_restricted_origin_list_still_wants_the_origin(start_server: Callable[..., Server], make_raw: Callable[..., httpx2.Client]) -> None:
    server = start_server("--cors-allowed-origins", "https://a.example")
    http = make_raw(server)
    assert cors_of(http.get("/v1/files").headers) == {}, "only an allowed Origin is answered with one"
    assert cors_of(http.get("/v1/files", headers={"Origin": "https://b.example"}).headers) == {}
    allowed = http.get("/v1/files", headers={"Origin": "https://a.example"})
    assert cors_of(allowed.headers) == {"access-control-allow-origin": "https://a.example", "access-control-expose-headers": EXPOSED}


# ---------------------------------------------------------------- the error envelope, byte for byte


def test_the_recorded_not_found_is_224_bytes(http: httpx2.Client) -> None:
    """FilesTests *CanParseServiceError (2026-05-28): the three routes, one body."""
    want = error_bytes("No such File object: fake_id", param="id")
    assert len(want) == 224
    for method, path in [("GET", "/v1/files/fake_id"), ("DELETE", "/v1/files/fake_id"), ("GET", "/v1/files/fake_id/content")]:
        r = http.request(method, path)
        assert (r.status_code, r.content) == (404, want), f"{method} {path}: {r.content!r}"


EXACT_ERRORS = [
    ("no key", "GET", "/v1/files", None, {}, 401, envelope(NO_KEY)),
    ("invalid URL", "GET", "/v1/nothing", "sk-test", {}, 404, envelope("Invalid URL (GET /v1/nothing)")),
    ("invalid URL, method", "PUT", "/v1/files", "sk-test", {}, 404, envelope("Invalid URL (PUT /v1/files)")),
    (
        "purpose",
        "POST",
        "/v1/files",
        "sk-test",
        {"files": {"file": ("x.txt", b"x")}, "data": {"purpose": "world_domination"}},
        400,
        envelope("'world_domination' is not one of ['fine-tune', 'assistants', 'batch', 'user_data', 'vision', 'evals'] - 'purpose'", param="purpose"),
    ),
    (
        "list limit",
        "GET",
        "/v1/files?limit=0",
        "sk-test",
        {},
        400,
        envelope("Invalid 'limit': integer below minimum value. Expected a value >= 1, but got 0 instead.", param="limit", code="integer_below_min_value"),
    ),
    (
        "unknown Upload field",
        "POST",
        "/v1/uploads",
        "sk-test",
        {"json": {"filename": "x.bin", "purpose": "user_data", "bytes": 1, "mime_type": "text/plain", "colour": "blue"}},
        400,
        envelope("Unrecognized request argument supplied: colour", param="colour"),
    ),
    ("no such Upload", "POST", "/v1/uploads/upload_missing/cancel", "sk-test", {}, 404, envelope("No such Upload object: upload_missing", param="id")),
    ("admin", "POST", "/admin/reset", None, {"content": b"{}", "headers": {"Content-Type": "text/plain"}}, 415, envelope(ADMIN_JSON_ONLY, code="unsupported_media_type")),
]


@pytest.mark.parametrize(("name", "method", "path", "key", "kwargs", "status", "body"), EXACT_ERRORS, ids=[e[0] for e in EXACT_ERRORS])
def test_errors_are_the_envelope_byte_for_byte(
    make_raw: Callable[..., httpx2.Client], own: Server, name: str, method: str, path: str, key: str | None, kwargs: dict, status: int, body: dict
) -> None:
    r = make_raw(own, api_key=key).request(method, path, **kwargs)
    assert r.status_code == status, r.text
    assert r.content == service_json(body), f"want\n{service_json(body).decode()}\ngot\n{r.text}"
    assert r.headers["content-type"] == "application/json"


BELOW_THE_ROUTER = [
    ("431 a header too large", request("GET", "/v1/files", AUTH, "X-Big: " + "a" * (100 * KB)), 431, "The request's headers are too large."),
    ("414 a URL too long", request("GET", "/v1/files?after=" + "a" * (100 * KB), AUTH), 414, "The request URL is too long."),
    ("405 BREW", request("BREW", "/v1/files", AUTH), 405, "Method not allowed."),
    ("405 CONNECT", request("CONNECT", "x:443", host="x:443"), 405, "Method not allowed: CONNECT."),
    ("400 a garbled request line", b"GET /v1/files HTTQ/1.1\r\nHost: a\r\n\r\n", 400, "The request is not valid HTTP/1.1."),
    ("400 no Host", request("GET", "/v1/files", AUTH, host=None), 400, "HTTP/1.1 requests need a Host header (RFC 9112, section 3.2)."),
]


@pytest.mark.parametrize(("name", "raw", "status", "message"), BELOW_THE_ROUTER, ids=[b[0] for b in BELOW_THE_ROUTER])
def test_refusals_below_the_router_are_the_same_envelope(own: Server, connect: Callable[[Server], Conn], name: str, raw: bytes, status: int, message: str) -> None:
    c = connect(own)
    c.send_until_refused(raw)
    answer = c.read_answer(10.0, method="GET", path="/v1/files")
    assert answer.status == status, answer
    assert answer.body == error_bytes(message), f"want\n{error_bytes(message).decode()}\ngot\n{answer.body.decode(errors='replace')}"
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["content-length"] == str(len(answer.body))
    assert_named(answer.headers)
    assert c.closed_within(2.0)


def test_an_injected_fault_is_the_same_envelope(admin: Admin, http: httpx2.Client) -> None:
    admin.add_fault(method="GET", path="/v1/files", status=503, times=1, error={"message": "Injected outage.", "type": "server_error", "code": "injected"})
    r = http.get("/v1/files")
    assert (r.status_code, r.content) == (503, error_bytes("Injected outage.", type="server_error", code="injected")), r.text
    assert_named(r.headers)
    admin.add_fault(method="DELETE", path="/v1/files/*", status=500, times=1)  # the server's own words: still the envelope
    r = http.delete("/v1/files/file-x")
    assert r.status_code == 500
    assert_error(r, 500, type="server_error")
    laid_out(r.content)


def test_an_error_without_a_key_on_a_raw_socket(own: Server, connect: Callable[[Server], Conn]) -> None:
    answer = exchange(connect(own), "GET", "/v1/files/fake_id")
    assert (answer.status, answer.body) == (401, error_bytes(NO_KEY))
    assert b"https://platform.openai.com" in answer.body, "no escaped slashes: Python writes / as it is"


@pytest.mark.parametrize("call", ["retrieve", "delete", "content"])
def test_five_identical_404s_read_the_same(sdk: openai.OpenAI, call: str) -> None:
    """The recorded envelope went through JSONSerialization: five identical 404s came back in five key
    orders, and an SDK that prints the body (openai-python 1.x: `Error code: 404 - {...}`) printed five texts."""
    seen = []
    for _ in range(5):
        with pytest.raises(openai.NotFoundError) as e:
            getattr(sdk.files, call)("fake_id")
        seen.append((str(e.value), repr(e.value.body), f"Error code: {e.value.status_code} - {e.value.response.json()}", e.value.response.content))
    assert len(set(seen)) == 1, seen
    text, body, printed, content = seen[0]
    assert text == "Error code: 404 - No such File object: fake_id"
    assert body == "{'message': 'No such File object: fake_id', 'type': 'invalid_request_error', 'param': 'id', 'code': None}"
    assert printed == (
        "Error code: 404 - {'error': {'message': 'No such File object: fake_id', 'type': 'invalid_request_error', 'param': 'id', 'code': None}, "
        "'detail': {'message': 'No such File object: fake_id', 'code': None}}"
    )
    assert content == error_bytes("No such File object: fake_id", param="id")


def test_the_sdk_reads_the_error_fields(sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        sdk.files.create(file=("notes.txt", BATCH_LINE), purpose="batch")
    assert (e.value.message, e.value.type, e.value.param, e.value.code) == (f"Error code: 400 - {BATCH_FORMAT}", "invalid_request_error", None, None)
    assert list(e.value.body) == ERROR_ORDER  # type: ignore[arg-type]


# ---------------------------------------------------------------- ids


def hex_of(ident: str) -> str:
    return ident.split("_", 1)[1]


def test_upload_and_part_ids_carry_their_creation_time(sdk: openai.OpenAI) -> None:
    """upload_68cb2ab4... = created_at 1758145204, 8191 at hex 13-16 (UploadsTests, 2025-09-29: 14/14 uploads, 6/6 parts)."""
    objects = []
    for i in range(5):
        upload = sdk.uploads.create(bytes=1, filename=f"t{i}.bin", mime_type="text/plain", purpose="user_data")
        objects += [upload, sdk.uploads.parts.create(upload_id=upload.id, data=b"x")]
    for o in objects:
        assert (UPLOAD_ID if o.object == "upload" else PART_ID).fullmatch(o.id), o.id
        digits = hex_of(o.id)
        assert int(digits[:8], 16) == o.created_at, f"{o.id}: {digits[:8]} is not created_at {o.created_at:08x}"
        assert digits[12:16] == "8191", o.id
    assert len({hex_of(o.id)[16:] for o in objects}) == len(objects), "the last 16 hex digits are random"


def test_the_time_in_an_id_is_the_servers_clock(admin: Admin, sdk: openai.OpenAI) -> None:
    admin.advance(40 * 86400)
    upload = sdk.uploads.create(bytes=1, filename="later.bin", mime_type="text/plain", purpose="user_data")
    part = sdk.uploads.parts.create(upload_id=upload.id, data=b"x")
    for o in (upload, part):
        assert int(hex_of(o.id)[:8], 16) == o.created_at, (o.id, o.created_at)


def test_file_ids_are_22_base58_characters(sdk: openai.OpenAI) -> None:
    """FilesTests/ListFiles (2026-05-28): file- and 22 of 1-9A-HJ-NP-Za-km-z for every file since late 2024."""
    ids = [sdk.files.create(file=(f"b{i}.txt", b"b"), purpose="user_data").id for i in range(40)]
    upload = sdk.uploads.upload_file_chunked(file=b"chunked", filename="c.txt", bytes=7, mime_type="text/plain", purpose="user_data")
    assert upload.file is not None
    ids.append(upload.file.id)
    bad = [i for i in ids if not FILE_ID.fullmatch(i)]
    assert not bad, bad
    assert len(set(ids)) == len(ids)


def ids_made(server: Server, make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client], advance: float) -> list[str]:
    if advance:
        Admin.of(make_raw, server).advance(advance)
    client = make_client(server.base_url)
    f = client.files.create(file=("one.txt", b"1"), purpose="user_data")
    upload = client.uploads.create(bytes=2, filename="u.txt", mime_type="text/plain", purpose="user_data")
    part = client.uploads.parts.create(upload_id=upload.id, data=b"22")
    done = client.uploads.complete(upload.id, part_ids=[part.id])
    assert done.file is not None
    return [f.id, upload.id, part.id, done.file.id]


@pytest.mark.skipif(shared_pair.ENABLED, reason="a seed makes each instance's ids repeat; two instances with one seed are not one sequence")
def test_id_seed_repeats_every_id_whatever_the_clock(
    start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client]
) -> None:
    one = ids_made(start_server("--id-seed", "30"), make_client, make_raw, 0)
    two = ids_made(start_server("--id-seed", "30"), make_client, make_raw, 3 * 86400 + 17)
    assert one == two, "the same seed, the same ids, though the second server's clock is three days on"
    assert FILE_ID.fullmatch(one[0]) and FILE_ID.fullmatch(one[3]) and UPLOAD_ID.fullmatch(one[1]) and PART_ID.fullmatch(one[2]), one
    other = ids_made(start_server("--id-seed", "31"), make_client, make_raw, 0)
    assert not set(other) & set(one)


# ---------------------------------------------------------------- Uploads


def test_pending_and_cancelled_uploads_have_no_file_key(http: httpx2.Client, sdk: openai.OpenAI) -> None:
    """UploadsTests/CreateUploadWorks and CancelUploadWorks (2025-09-29): no `file` key, not even null."""
    r = http.post("/v1/uploads", json={"purpose": "fine-tune", "filename": "uploads_test_file.jsonl", "bytes": 8, "mime_type": "text/jsonl"})
    pending = laid_out(r.content)
    assert list(pending) == UPLOAD_ORDER and b'"file"' not in r.content, r.text
    assert len(r.content) == 236, "the recorded Content-Length of this very request's answer"
    cancelled_answer = http.post(f"/v1/uploads/{pending['id']}/cancel")
    cancelled = laid_out(cancelled_answer.content)
    assert list(cancelled) == UPLOAD_ORDER and cancelled["status"] == "cancelled" and b'"file"' not in cancelled_answer.content
    assert {k: cancelled[k] for k in ("id", "created_at", "expires_at")} == {k: pending[k] for k in ("id", "created_at", "expires_at")}
    made = sdk.uploads.create(bytes=1, filename="s.bin", mime_type="text/plain", purpose="user_data")
    assert made.file is None and "file" not in made.model_fields_set
    assert sdk.uploads.cancel(made.id).file is None


def test_a_completed_upload_has_its_file_last(http: httpx2.Client) -> None:
    upload = http.post("/v1/uploads", json={"purpose": "user_data", "filename": "done.txt", "bytes": 2, "mime_type": "text/plain"}).json()
    part = http.post(f"/v1/uploads/{upload['id']}/parts", files={"data": ("data", b"ok")}).json()
    done = laid_out(http.post(f"/v1/uploads/{upload['id']}/complete", json={"part_ids": [part["id"]]}).content)
    assert list(done) == UPLOAD_ORDER + ["file"] and list(done["file"]) == FILE_ORDER, done
    deleted = laid_out(http.delete(f"/v1/files/{done['file']['id']}").content)
    assert list(deleted) == DELETED_ORDER


def test_a_file_made_by_an_upload_has_the_uploads_created_at(admin: Admin, sdk: openai.OpenAI) -> None:
    """CompleteUploadWorks (2025-09-17): parts a second later, completion later still, the File's created_at
    the Upload's. Its expiry counts from there too (batch: 30 days)."""
    upload = sdk.uploads.create(bytes=len(BATCH_LINE), filename="requests.jsonl", mime_type="text/jsonl", purpose="batch")
    admin.advance(600)
    part = sdk.uploads.parts.create(upload_id=upload.id, data=BATCH_LINE)
    assert part.created_at >= upload.created_at + 600
    admin.advance(600)
    done = sdk.uploads.complete(upload.id, part_ids=[part.id])
    assert done.file is not None
    assert done.created_at == upload.created_at
    assert (done.file.created_at, done.file.expires_at) == (upload.created_at, upload.created_at + THIRTY_DAYS)
    stored = sdk.files.retrieve(done.file.id)
    assert (stored.created_at, stored.expires_at) == (upload.created_at, upload.created_at + THIRTY_DAYS)
    assert [f.created_at for f in sdk.files.list() if f.id == done.file.id] == [upload.created_at]


@pytest.mark.parametrize(
    "chunks",
    [[bytes([1, 2, 3, 4]), bytes([5, 6, 7, 8])], [b"this is not json\n"], [CHAT_LINE, b"[1, 2, 3]\n"], [b"\xff\xfe\x00"]],
    ids=["bytes-1-to-8", "text", "a-later-line-not-an-object", "not-utf8"],
)
def test_a_fine_tune_upload_completes_whatever_its_bytes(sdk: openai.OpenAI, chunks: list[bytes]) -> None:
    """CompleteUploadWorks completes the bytes 1..8 with purpose fine-tune: status completed, the File processed."""
    payload = b"".join(chunks)
    upload = sdk.uploads.create(bytes=len(payload), filename="uploads_test_file.jsonl", mime_type="text/jsonl", purpose="fine-tune")
    part_ids = [sdk.uploads.parts.create(upload_id=upload.id, data=chunk).id for chunk in chunks]
    done = sdk.uploads.complete(upload.id, part_ids=part_ids)
    assert done.status == "completed" and done.file is not None
    assert (done.file.status, done.file.purpose, done.file.bytes) == ("processed", "fine-tune", len(payload))
    assert sdk.files.content(done.file.id).read() == payload  # this module's server downloads every purpose


def test_posting_a_fine_tune_file_still_checks_its_lines(sdk: openai.OpenAI) -> None:
    """The refusal on POST /v1/files is captured (issue 30, item 7): unchanged."""
    with pytest.raises(openai.BadRequestError) as e:
        sdk.files.create(file=("train.jsonl", CHAT_LINE + b"[1, 2, 3]\n"), purpose="fine-tune")
    assert_error(
        e.value,
        400,
        param=None,
        code=None,
        message='Expected file to have JSONL format, where every line is a JSON dictionary. Line 2 is not a dictionary (HINT: line starts with: "[1, ...").',
    )


# ---------------------------------------------------------------- batch and fine-tune file names and contents


def test_the_recorded_batch_file_is_accepted(sdk: openai.OpenAI) -> None:
    """BatchTests (2025-09-16, 2025-10-27, 2025-10-31): test-batch-file, no extension, one CRLF line."""
    answer = sdk.files.with_raw_response.create(file=("test-batch-file", BATCH_LINE), purpose="batch")
    f = laid_out(answer.http_response.content)
    want = {
        "object": "file",
        "id": f["id"],
        "purpose": "batch",
        "filename": "test-batch-file",
        "bytes": 233,
        "created_at": f["created_at"],
        "expires_at": f["created_at"] + THIRTY_DAYS,
        "status": "processed",
        "status_details": None,
    }
    assert answer.http_response.content == service_json(want)
    assert len(answer.http_response.content) == 240, "the recorded Content-Length"
    assert FILE_ID.fullmatch(f["id"])
    assert sdk.files.content(f["id"]).read() == BATCH_LINE


@pytest.mark.parametrize("filename", ["test-batch-file", "requests.jsonl", "REQUESTS.JSONL", "Requests.JsonL", "batch_input"])
def test_batch_names_accepted(sdk: openai.OpenAI, filename: str) -> None:
    f = sdk.files.create(file=(filename, BATCH_LINE), purpose="batch")
    assert (f.filename, f.status, f.expires_at) == (filename, "processed", f.created_at + THIRTY_DAYS)


@pytest.mark.parametrize("filename", ["notes.txt", "requests.json", "requests.jsonl.txt", "archive.tar.gz", "NOTES.TXT"])
def test_batch_names_with_another_extension_are_refused(http: httpx2.Client, filename: str) -> None:
    """The refusal for `notes.txt` is captured (litellm PR #37527): error and detail, param and code null."""
    r = http.post("/v1/files", files={"file": (filename, BATCH_LINE)}, data={"purpose": "batch"})
    assert (r.status_code, r.content) == (400, error_bytes(BATCH_FORMAT)), r.text


def test_fine_tune_names_follow_the_same_rule(sdk: openai.OpenAI, http: httpx2.Client) -> None:
    r = http.post("/v1/files", files={"file": ("train.txt", CHAT_LINE)}, data={"purpose": "fine-tune"})
    assert (r.status_code, r.content) == (400, error_bytes(FINE_TUNE_FORMAT)), r.text
    f = sdk.files.create(file=("train", CHAT_LINE), purpose="fine-tune")
    assert (f.filename, f.status) == ("train", "processed")


@pytest.mark.parametrize(
    "content",
    [b"", b"\n", b"\n\r\n\n", b"not json\n" + BATCH_LINE, b"\n{oops\n" + BATCH_LINE, b"\r\nplain text"],
    ids=["empty", "one-blank-line", "blank-lines", "first-line-not-json", "first-non-blank-line-not-json", "text-after-a-blank-line"],
)
def test_a_batch_file_refused_at_upload(sdk: openai.OpenAI, http: httpx2.Client, content: bytes) -> None:
    before = [f.id for f in sdk.files.list(purpose="batch")]
    r = http.post("/v1/files", files={"file": ("requests.jsonl", content)}, data={"purpose": "batch"})
    assert (r.status_code, r.content) == (400, error_bytes(BATCH_FORMAT)), r.text
    assert [f.id for f in sdk.files.list(purpose="batch")] == before, "nothing kept"


@pytest.mark.parametrize(
    "content",
    [BATCH_LINE + b"not json\n", BATCH_LINE + b"\n" + b"{broken\n", b"\n" + BATCH_LINE + b"[1, 2]\n" + b"\xff\xfe\n"],
    ids=["second-line-not-json", "after-a-blank-line", "leading-blank-then-later-garbage"],
)
def test_later_bad_lines_pass_upload(sdk: openai.OpenAI, content: bytes) -> None:
    """Later lines fail the batch, not the upload (a re-implementation's tests written against the service)."""
    f = sdk.files.create(file=("requests.jsonl", content), purpose="batch")
    assert (f.status, f.bytes) == ("processed", len(content))
    assert sdk.files.content(f.id).read() == content


@pytest.mark.parametrize(("purpose", "message"), [("batch", BATCH_FORMAT), ("fine-tune", FINE_TUNE_FORMAT)])
def test_upload_create_applies_the_same_name_rule(http: httpx2.Client, sdk: openai.OpenAI, purpose: str, message: str) -> None:
    r = http.post("/v1/uploads", json={"purpose": purpose, "filename": "notes.txt", "bytes": 10, "mime_type": "text/jsonl"})
    assert (r.status_code, r.content) == (400, error_bytes(message)), r.text
    with pytest.raises(openai.BadRequestError) as e:
        sdk.uploads.create(bytes=10, filename="notes.txt", mime_type="text/plain", purpose=purpose)  # type: ignore[arg-type]
    assert_error(e.value, 400, message=message, param=None, code=None)
    for name in ("test-batch-file", "requests.JSONL"):
        upload = sdk.uploads.create(bytes=10, filename=name, mime_type="text/jsonl", purpose=purpose)  # type: ignore[arg-type]
        assert (upload.status, upload.filename) == ("pending", name)
        sdk.uploads.cancel(upload.id)


# ---------------------------------------------------------------- JSON layout


def test_filenames_are_written_as_python_writes_them(http: httpx2.Client) -> None:
    """Raw UTF-8, not \\uXXXX (NonAsciiFilename, 2026-05-28: 233 bytes, 239 if escaped); `"` and `\\` escaped, `/` not.
    The names go as RFC 5987 `filename*` (httpx would send `"` as %22 in a plain filename)."""
    for name in ["你好.txt", "party 🎉.txt", 'quote " and back\\slash.txt', "a/b.txt"]:
        boundary = "issue30names"
        body = (
            f"--{boundary}\r\nContent-Disposition: form-data; name=file; filename=x; filename*=utf-8''{quote(name, safe='')}\r\n\r\nx\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=purpose\r\n\r\nuser_data\r\n--{boundary}--\r\n"
        ).encode()
        r = http.post("/v1/files", content=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        assert r.status_code == 200, r.text
        f = laid_out(r.content)
        assert f["filename"] == name
        assert json.dumps(name, ensure_ascii=False).encode() in r.content
        listed = http.get("/v1/files", params={"purpose": "user_data", "limit": 1})
        assert laid_out(listed.content)["data"][0]["filename"] == name


def test_an_empty_page_is_written_as_python_writes_it(make_raw: Callable[..., httpx2.Client], per_key: Server) -> None:
    r = make_raw(per_key, api_key="sk-issue30-nobody").get("/v1/files")
    assert r.content == b'{\n  "object": "list",\n  "data": [],\n  "has_more": false,\n  "first_id": null,\n  "last_id": null\n}\n'


def test_the_recorded_file_object_is_246_bytes(http: httpx2.Client) -> None:
    """FilesTests/GetFile (2026-05-28): this very upload answers 246 bytes, and so does its retrieve."""
    created = http.post("/v1/files", files={"file": ("test-file-delete-me.txt", b"Hello! This is a test text file. Please delete me.")}, data={"purpose": "assistants"})
    f = laid_out(created.content)
    assert list(f) == FILE_ORDER and len(created.content) == 246
    again = http.get(f"/v1/files/{f['id']}")
    assert again.content == created.content
    gone = http.delete(f"/v1/files/{f['id']}")
    assert gone.content == service_json({"object": "file", "deleted": True, "id": f["id"]}) and len(gone.content) == 81
