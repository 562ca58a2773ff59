"""HTTP/1.1 as the server speaks it, over raw sockets (the SDK and httpx2 would re-encode, merge or refuse
what is sent here):

- identities are exact bytes: a key, OpenAI-Organization or OpenAI-Project outside visible ASCII, or any of
  them sent twice, is a 401 (`invalid_api_key`) and reaches no tenant;
- `Upgrade` requests are answered as plain ones and the connection goes on;
- HEAD wherever GET is routed (same status and Content-Length, no body); CONNECT and unknown methods 405;
- HTTP/1.0 without keep-alive is closed after its answer; HTTP/1.1 without Host is 400;
- answers made below the router (heads too large, bad chunked framing, unparsable requests) carry the JSON
  envelope, the OpenAI headers and a Content-Length, and the connection is closed;
- percent-encoded unreserved characters in a path are decoded, `%2F` is not;
- a JSON key given twice is a 400 naming it;
- the request log (`GET /admin/requests`) holds `/v1` requests only;
- a list of hostile request shapes (`HOSTILE`), each answered with the envelope while the server stays up.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator

import httpx2
import openai
import pytest
from mockfiles_kit import Server
from mockfiles_kit.admin import Admin

from rawhttp import Answer, Conn, connector, request

KB = 1024
NOT_ASCII = "The {} header may only hold visible ASCII characters; API keys, organization and project ids are made of them."
UPLOAD = {"filename": "a.txt", "bytes": 1, "mime_type": "text/plain", "purpose": "user_data"}
AUTH = "Authorization: Bearer sk-test"


@pytest.fixture
def connect() -> Iterator[Callable[[Server], Conn]]:
    yield from connector()


@pytest.fixture(scope="module")
def per_key(start_server: Callable[..., Server]) -> Server:
    return start_server("--tenancy", "per-key")


def exchange(c: Conn, method: str, target: str, *headers: bytes | str, body: bytes = b"", within: float = 10.0) -> Answer:
    c.send(request(method, target, *headers, body=body))
    return c.read_answer(within, method=method, path=target.split("?", 1)[0])


def assert_openai_headers(answer: Answer) -> None:
    h = answer.headers
    assert re.fullmatch(r"req_[0-9a-f]+", h.get("x-request-id", "")), h
    assert h.get("openai-version") == "2020-10-01", h
    assert re.fullmatch(r"\d+", h.get("openai-processing-ms", "")), h
    assert h.get("openai-organization"), h


def assert_envelope(
    answer: Answer, status: int, *, message: str | None = None, starts: str | None = None, code: str | None = None, param: str | None = None
) -> dict:
    """Status, the exact envelope, the OpenAI headers and a Content-Length that frames the body."""
    assert answer.status == status, f"want {status}, got {answer}"
    assert answer.headers.get("content-type", "").startswith("application/json"), answer.headers
    assert answer.headers.get("content-length") == str(len(answer.body)), answer.headers
    assert_openai_headers(answer)
    error = answer.error()
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", code, param), error
    if message is not None:
        assert error["message"] == message, error
    if starts is not None:
        assert error["message"].startswith(starts), error
    return error


def assert_bare_refusal(c: Conn, answer: Answer, status: int, message: str) -> None:
    """An answer made below the router: the envelope, `connection: close`, and the connection closed."""
    assert_envelope(answer, status, message=message)
    assert answer.headers.get("connection") == "close", answer.headers
    assert c.closed_within(2.0), "the connection must be closed after a request that could not be read"


def still_up(c: Conn) -> None:
    answer = exchange(c, "GET", "/health")
    assert (answer.status, answer.json()) == (200, {"status": "ok"}), answer


# ---------------------------------------------------------------- identities are exact bytes


NON_ASCII_KEYS = [b"sk-victim-\xe9", b"sk-victim-\xff", b"sk-victim-\xef\xbf\xbd", b"sk-victim a"]


@pytest.mark.parametrize("key", NON_ASCII_KEYS, ids=["latin1-e9", "byte-ff", "utf8-replacement-char", "space"])
def test_a_key_outside_visible_ascii_is_401_and_reaches_no_tenant(
    start_server: Callable[..., Server],
    make_client: Callable[..., openai.OpenAI],
    make_raw: Callable[..., httpx2.Client],
    connect: Callable[[Server], Conn],
    key: bytes,
) -> None:
    """NIO hands header bytes over decoded lossily: `sk-victim-\\xe9`, `\\xff` and the UTF-8 of U+FFFD would all
    read as one key. Each is refused, whatever it asks for, and the victim's file is untouched."""
    server = start_server("--tenancy", "per-key")
    victim = make_client(server.base_url, api_key="sk-victim-a")
    f = victim.files.create(file=("secret.txt", b"victim's bytes"), purpose="vision")
    auth = b"Authorization: Bearer " + key
    c = connect(server)
    calls: list[tuple[str, str, tuple[bytes, ...], bytes]] = [
        ("GET", "/v1/files", (), b""),
        ("GET", f"/v1/files/{f.id}", (), b""),
        ("GET", f"/v1/files/{f.id}/content", (), b""),
        ("DELETE", f"/v1/files/{f.id}", (), b""),
        ("POST", "/v1/uploads", (b"Content-Type: application/json",), json.dumps(UPLOAD).encode()),
    ]
    for method, path, extra, body in calls:
        answer = exchange(c, method, path, auth, *extra, body=body)
        assert_envelope(answer, 401, message=NOT_ASCII.format("Authorization"), code="invalid_api_key")
    still_up(c)  # a 401 keeps the connection
    assert [x.id for x in victim.files.list()] == [f.id]
    assert victim.files.content(f.id).read() == b"victim's bytes"
    assert Admin.of(make_raw, server).reset()["uploads_removed"] == 0, "no Upload was created"


@pytest.mark.parametrize(
    ("header", "name"),
    [
        (b"OpenAI-Organization: org-\xe9", "OpenAI-Organization"),
        (b"OpenAI-Organization: org-\xef\xbf\xbd", "OpenAI-Organization"),
        (b"OpenAI-Project: proj-\xff", "OpenAI-Project"),
        (b"OpenAI-Project: proj one", "OpenAI-Project"),
    ],
    ids=["org-e9", "org-replacement-char", "project-ff", "project-space"],
)
def test_a_scope_header_outside_visible_ascii_is_401(per_key: Server, connect: Callable[[Server], Conn], header: bytes, name: str) -> None:
    c = connect(per_key)
    answer = exchange(c, "GET", "/v1/files", b"Authorization: Bearer sk-scoped", header)
    assert_envelope(answer, 401, message=NOT_ASCII.format(name), code="invalid_api_key")
    ok = exchange(c, "GET", "/v1/files", b"Authorization: Bearer sk-scoped", b"OpenAI-Project: proj-1")
    assert ok.status == 200, ok


@pytest.mark.parametrize(
    ("headers", "name"),
    [
        ((AUTH, AUTH), "Authorization"),
        ((AUTH, "Authorization: Bearer sk-other"), "Authorization"),
        ((AUTH, "OpenAI-Project: proj-a", "OpenAI-Project: proj-b"), "OpenAI-Project"),
        ((AUTH, "OpenAI-Organization: org-a", "OpenAI-Organization: org-a"), "OpenAI-Organization"),
    ],
    ids=["same-key-twice", "two-keys", "two-projects", "organization-twice"],
)
def test_a_credential_header_sent_twice_is_401(per_key: Server, connect: Callable[[Server], Conn], headers: tuple[str, ...], name: str) -> None:
    """Read as one, two headers would join as `a, b`: a third identity. Refused instead."""
    c = connect(per_key)
    answer = exchange(c, "GET", "/v1/files", *headers)
    assert_envelope(answer, 401, message=f"Send one {name} header; this request has several.", code="invalid_api_key")


# ---------------------------------------------------------------- Upgrade


@pytest.mark.parametrize(
    "upgrade",
    [("Upgrade: h2c", "HTTP2-Settings: AAMAAABkAAQAAP__", "Connection: Upgrade, HTTP2-Settings"), ("Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==")],
    ids=["h2c", "websocket"],
)
def test_an_upgrade_request_is_answered_and_the_connection_goes_on(server: Server, client: openai.OpenAI, connect: Callable[[Server], Conn], upgrade: tuple[str, ...]) -> None:
    f = client.files.create(file=("u.txt", b"upgrade"), purpose="vision")
    c = connect(server)
    first = exchange(c, "GET", f"/v1/files/{f.id}", AUTH, *upgrade)
    assert first.status == 200 and first.json()["id"] == f.id, first
    assert "upgrade" not in first.headers, "no protocol switch is offered"
    time.sleep(0.1)  # sent at once, the next request is sometimes lost: see the test below
    second = exchange(c, "GET", f"/v1/files/{f.id}/content", AUTH)
    assert (second.status, second.body) == (200, b"upgrade"), "the same connection serves the next request"
    third = exchange(c, "HEAD", "/v1/files", AUTH)
    assert third.status == 200 and int(third.headers["content-length"]) > 0, third
    still_up(c)  # nothing of the HEAD answer's body was sent: the next answer starts clean


def test_a_request_sent_right_after_an_upgrade_answer_is_answered(server: Server, connect: Callable[[Server], Conn]) -> None:
    """As a client does: read the answer, send the next request at once. 300 rounds, so a race shows."""
    for round in range(300):
        c = connect(server)
        assert exchange(c, "GET", "/v1/files", AUTH, "Connection: Upgrade", "Upgrade: websocket").status == 200
        c.send(request("GET", "/v1/files", AUTH))
        assert c.readable(2.0), f"round {round}: the request after the Upgrade answer was never answered"
        assert c.read_answer(2.0, method="GET", path="/v1/files").status == 200
        c.sock.close()


def test_a_request_pipelined_after_an_upgrade_is_answered(server: Server, connect: Callable[[Server], Conn]) -> None:
    c = connect(server)
    c.send(request("GET", "/health", "Connection: Upgrade", "Upgrade: websocket") + request("GET", "/v1/files", AUTH))
    assert c.read_answer(5.0, method="GET", path="/health").status == 200
    assert c.read_answer(3.0, method="GET", path="/v1/files").status == 200


def test_pipelined_requests_are_each_answered_in_order(server: Server, client: openai.OpenAI, connect: Callable[[Server], Conn]) -> None:
    """The next head can arrive while the answer before it is still being written (a streamed download)."""
    f = client.files.create(file=("p.bin", b"x" * 300_000), purpose="vision")
    c = connect(server)
    c.send(request("GET", f"/v1/files/{f.id}/content", AUTH) + request("HEAD", "/health") + request("GET", "/v1/files", AUTH))
    download = c.read_answer(5.0, method="GET", path=f"/v1/files/{f.id}/content")
    assert download.status == 200 and int(download.headers["content-length"]) == 300_000
    assert c.read_answer(5.0, method="HEAD", path="/health").status == 200
    assert c.read_answer(5.0, method="GET", path="/v1/files").status == 200


# ---------------------------------------------------------------- methods


HEAD_PATHS = ["/health", "/metrics", "/v1/files", "/v1/files/{id}", "/v1/files/file-doesnotexist"]


@pytest.mark.parametrize("template", HEAD_PATHS)
def test_head_answers_as_get_without_a_body(server: Server, client: openai.OpenAI, connect: Callable[[Server], Conn], template: str) -> None:
    path = template.format(id=client.files.create(file=("h.txt", b"head"), purpose="vision").id) if "{id}" in template else template
    c = connect(server)
    got = exchange(c, "GET", path, AUTH)
    headed = exchange(c, "HEAD", path, AUTH)
    assert headed.status == got.status, (got, headed)
    assert headed.headers.get("content-type") == got.headers.get("content-type")
    if template == "/metrics":  # the exposition changes with each scrape
        assert int(headed.headers["content-length"]) > 0, headed.headers
    else:
        assert headed.headers.get("content-length") == got.headers.get("content-length") == str(len(got.body)), (got.headers, headed.headers)
    assert c.silent_for(0.2), f"a HEAD answer has no body; got {c.buffer[:200]!r}"
    still_up(c)


def test_connect_is_405_and_the_connection_closes(server: Server, connect: Callable[[Server], Conn]) -> None:
    c = connect(server)
    c.send(request("CONNECT", "x:443", host="x:443"))
    answer = c.read_answer(5.0, method="CONNECT", path="/v1/files")
    assert_bare_refusal(c, answer, 405, "Method not allowed: CONNECT.")


@pytest.mark.parametrize("method", ["FOO", "BREW"])
def test_an_unknown_method_is_405(server: Server, connect: Callable[[Server], Conn], method: str) -> None:
    c = connect(server)
    c.send(request(method, "/v1/files", AUTH))
    answer = c.read_answer(5.0, method=method, path="/v1/files")
    assert_bare_refusal(c, answer, 405, "Method not allowed.")


@pytest.mark.parametrize("method", ["PUT", "PATCH", "PROPFIND"])
def test_a_known_method_a_route_does_not_take_is_404_invalid_url(server: Server, connect: Callable[[Server], Conn], method: str) -> None:
    """As the real service: not 405 (PROPFIND is a method the HTTP parser knows, from WebDAV)."""
    c = connect(server)
    answer = exchange(c, method, "/v1/files", AUTH)
    assert_envelope(answer, 404, message=f"Invalid URL ({method} /v1/files)")
    still_up(c)


# ---------------------------------------------------------------- connection management and Host


def test_http_1_0_without_keep_alive_is_closed_after_its_answer(server: Server, connect: Callable[[Server], Conn]) -> None:
    c = connect(server)
    c.send(request("GET", "/v1/files", AUTH, version="HTTP/1.0", host=None))
    answer = c.read_answer(5.0, method="GET", path="/v1/files")
    assert answer.status == 200, answer
    assert answer.headers.get("connection", "").lower() == "close", answer.headers
    assert c.closed_within(1.0), "an HTTP/1.0 connection without keep-alive ends with its answer"


def test_http_1_0_with_keep_alive_stays_open(server: Server, connect: Callable[[Server], Conn]) -> None:
    c = connect(server)
    c.send(request("GET", "/health", "Connection: keep-alive", version="HTTP/1.0", host=None))
    answer = c.read_answer(5.0, method="GET", path="/health")
    assert answer.status == 200 and answer.headers.get("connection", "").lower() != "close", answer
    assert not c.closed_within(0.3)
    still_up(c)


def test_connection_close_on_http_1_1_is_honoured(server: Server, connect: Callable[[Server], Conn]) -> None:
    c = connect(server)
    answer = exchange(c, "GET", "/v1/files", AUTH, "Connection: close")
    assert answer.status == 200 and answer.headers.get("connection", "").lower() == "close", answer
    assert c.closed_within(1.0)


def test_http_1_1_without_host_is_400(server: Server, connect: Callable[[Server], Conn]) -> None:
    c = connect(server)
    c.send(request("GET", "/v1/files", AUTH, host=None))
    answer = c.read_answer(5.0, method="GET", path="/v1/files")
    assert_bare_refusal(c, answer, 400, "HTTP/1.1 requests need a Host header (RFC 9112, section 3.2).")


def test_http_1_1_with_two_hosts_is_400(server: Server, connect: Callable[[Server], Conn]) -> None:
    c = connect(server)
    c.send(request("GET", "/v1/files", AUTH, "Host: other.example"))
    answer = c.read_answer(5.0, method="GET", path="/v1/files")
    assert_bare_refusal(c, answer, 400, "A request has one Host header (RFC 9112, section 3.2).")


def test_an_absolute_form_target_names_the_host_that_counts(server: Server, connect: Callable[[Server], Conn]) -> None:
    """RFC 9112 §3.2.2: the target's host wins over Host, so it cannot smuggle a rebinding name past the admin check."""
    c = connect(server)
    c.send(f"GET http://attacker.example:{server.port}/admin/requests HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode())
    assert c.read_answer(5.0, method="GET", path="/admin/requests").status == 403
    c = connect(server)
    c.send(f"GET http://127.0.0.1:{server.port}/admin/requests HTTP/1.1\r\nHost: attacker.example\r\n\r\n".encode())
    assert c.read_answer(5.0, method="GET", path="/admin/requests").status == 200


# ---------------------------------------------------------------- answers made below the router


@pytest.mark.parametrize(
    ("name", "raw", "status", "message"),
    [
        ("100 KB header value", request("GET", "/v1/files", AUTH, "X-Big: " + "a" * (100 * KB)), 431, "The request's headers are too large."),
        ("100 KB URL", request("GET", "/v1/files?after=" + "a" * (100 * KB), AUTH), 414, "The request URL is too long."),
        ("2000 small headers", request("GET", "/v1/files", AUTH, *(f"X-H{i}: v" for i in range(2000))), 431, "The request's headers are too large."),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 40 else None,
)
def test_a_head_too_large_is_answered_with_the_envelope(server: Server, connect: Callable[[Server], Conn], name: str, raw: bytes, status: int, message: str) -> None:
    c = connect(server)
    c.send_until_refused(raw)
    answer = c.read_answer(10.0, method="GET", path="/v1/files")
    assert_bare_refusal(c, answer, status, message)


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/v1/uploads", "application/json"), ("/v1/files", "multipart/form-data; boundary=b")],
    ids=["json", "multipart"],
)
def test_bad_chunked_framing_is_400_not_413(server: Server, make_client: Callable[..., openai.OpenAI], connect: Callable[[Server], Conn], path: str, content_type: str) -> None:
    client = make_client(server.base_url)
    before = {f.id for f in client.files.list()}
    c = connect(server)
    c.send(request("POST", path, AUTH, f"Content-Type: {content_type}", "Transfer-Encoding: chunked") + b"zz\r\n{}\r\n0\r\n\r\n")
    answer = c.read_answer(5.0, method="POST", path=path)
    assert_envelope(answer, 400, message="The request body was not valid HTTP: invalid character in chunk size header.")
    assert c.closed_within(2.0)
    assert {f.id for f in client.files.list()} == before, "nothing created"


def test_bad_chunked_framing_on_a_get_is_one_answer(server: Server, connect: Callable[[Server], Conn]) -> None:
    c = connect(server)
    c.send(request("GET", "/v1/files", AUTH, "Transfer-Encoding: chunked") + b"zz\r\n{}\r\n0\r\n\r\n")
    answer = c.read_answer(5.0, method="GET", path="/v1/files")
    assert_envelope(answer, 400, message="The request body is not valid HTTP/1.1 framing.")
    assert c.closed_within(2.0)


# ---------------------------------------------------------------- percent-encoded paths


@pytest.mark.parametrize(("encode", "suffix"), [(("-", "%2D"), ""), (("-", "%2d"), "/content"), (("f", "%66"), ""), (("i", "%69"), "/content")], ids=["dash", "dash-lower-content", "f", "i-content"])
def test_percent_encoded_unreserved_characters_are_decoded(server: Server, client: openai.OpenAI, connect: Callable[[Server], Conn], encode: tuple[str, str], suffix: str) -> None:
    f = client.files.create(file=("p.txt", b"percent"), purpose="vision")
    target = f"/v1/files/{f.id.replace(*encode, 1)}{suffix}"
    assert "%" in target
    c = connect(server)
    answer = exchange(c, "GET", target, AUTH)
    assert answer.status == 200, answer
    if suffix:
        assert answer.body == b"percent"
    else:
        assert answer.json()["id"] == f.id


def test_percent_encoded_route_segment_is_decoded(server: Server, connect: Callable[[Server], Conn]) -> None:
    c = connect(server)
    answer = exchange(c, "GET", "/v1/%66iles", AUTH)
    assert answer.status == 200 and answer.json()["object"] == "list", answer


def test_an_encoded_slash_is_not_decoded(server: Server, client: openai.OpenAI, connect: Callable[[Server], Conn]) -> None:
    f = client.files.create(file=("s.txt", b"slash"), purpose="vision")
    c = connect(server)
    joined = exchange(c, "GET", f"/v1/files%2F{f.id}", AUTH)
    assert_envelope(joined, 404, message=f"Invalid URL (GET /v1/files%2F{f.id})")
    content = exchange(c, "GET", f"/v1/files/{f.id}%2Fcontent", AUTH)
    assert content.status == 404 and content.error()["message"] == f"No such File object: {f.id}%2Fcontent", content


# ---------------------------------------------------------------- JSON bodies


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ('{"filename":"a","filename":"b","bytes":1,"mime_type":"text/plain","purpose":"user_data"}', "filename"),
        ('{"filename":"a","file\\u006eame":"b","bytes":1,"mime_type":"text/plain","purpose":"user_data"}', "filename"),
        ('{"filename":"a","bytes":1,"bytes":2,"mime_type":"text/plain","purpose":"user_data"}', "bytes"),
    ],
    ids=["filename", "filename-escaped", "bytes"],
)
def test_a_json_key_given_twice_is_400_naming_it(server: Server, connect: Callable[[Server], Conn], body: str, key: str) -> None:
    c = connect(server)
    answer = exchange(c, "POST", "/v1/uploads", AUTH, "Content-Type: application/json", body=body.encode())
    assert answer.status == 400, answer
    error = answer.error()
    assert (error["message"], error["param"], error["code"]) == (f"Duplicate parameter '{key}': send each field once.", key, None), error
    ok = exchange(c, "POST", "/v1/uploads", AUTH, "Content-Type: application/json", body=json.dumps(UPLOAD).encode())
    assert ok.status == 200, "the same keys once each are fine"


def test_a_part_ids_key_given_twice_on_complete_is_400(server: Server, client: openai.OpenAI, connect: Callable[[Server], Conn]) -> None:
    upload = client.uploads.create(bytes=1, filename="d.txt", mime_type="text/plain", purpose="user_data")
    c = connect(server)
    path = f"/v1/uploads/{upload.id}/complete"
    answer = exchange(c, "POST", path, AUTH, "Content-Type: application/json", body=b'{"part_ids":[],"part_ids":[]}')
    error = answer.error()
    assert (answer.status, error["message"], error["param"]) == (400, "Duplicate parameter 'part_ids': send each field once.", "part_ids"), answer
    assert client.uploads.cancel(upload.id).status == "cancelled", "the Upload was left pending"


# ---------------------------------------------------------------- the request log


def test_the_request_log_holds_v1_requests_only(start_server: Callable[..., Server], make_raw: Callable[..., httpx2.Client], connect: Callable[[Server], Conn]) -> None:
    server = start_server()
    admin = Admin.of(make_raw, server)
    c = connect(server)
    for method, path in [("GET", "/health"), ("HEAD", "/health"), ("GET", "/metrics"), ("GET", "/openapi.yaml"), ("GET", "/nope"), ("GET", "/v1/files"), ("GET", "/admin/faults"), ("GET", "/v1/nothing")]:
        exchange(c, method, path, AUTH)
    admin.reset()  # admin calls are not logged either
    exchange(c, "POST", "/v1/uploads", AUTH, "Content-Type: application/json", body=json.dumps(UPLOAD).encode())
    logged = [(e["method"], e["path"], e["status"]) for e in admin.requests()]
    assert logged == [("POST", "/v1/uploads", 200)], logged


def test_the_request_log_keeps_v1_requests_among_others(start_server: Callable[..., Server], make_raw: Callable[..., httpx2.Client], connect: Callable[[Server], Conn]) -> None:
    server = start_server()
    c = connect(server)
    for method, path in [("GET", "/health"), ("GET", "/v1/files"), ("GET", "/metrics"), ("GET", "/openapi.yaml"), ("GET", "/nope"), ("GET", "/v1/nothing"), ("HEAD", "/metrics")]:
        exchange(c, method, path, AUTH)
    logged = [(e["method"], e["path"], e["status"]) for e in Admin.of(make_raw, server).requests()]
    assert logged == [("GET", "/v1/nothing", 404), ("GET", "/v1/files", 200)], logged


# ---------------------------------------------------------------- hostile request shapes


HOSTILE: list[tuple[str, bytes, int, str | None]] = [
    ("CONNECT", request("CONNECT", "x:443", host="x:443"), 405, "Method not allowed: CONNECT."),
    ("unknown method", request("FOO", "/v1/files", AUTH), 405, "Method not allowed."),
    ("a TLS ClientHello on the plain port", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40, 405, None),
    ("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400, None),
    ("HTTP/1.1 without Host", request("GET", "/v1/files", AUTH, host=None), 400, "HTTP/1.1 requests need a Host header (RFC 9112, section 3.2)."),
    ("LF-only line ends", b"GET /health HTTP/1.1\nHost: a\n\n", 400, None),
    ("HTTP/2.0 in the request line", request("GET", "/health", version="HTTP/2.0"), 400, None),
    ("space before a header colon", b"GET /health HTTP/1.1\r\nHost : a\r\n\r\n", 400, None),
    ("NUL in a header value", request("GET", "/v1/files", b"Authorization: Bearer sk-\x00a"), 400, None),
    ("obsolete line folding", b"GET /v1/files HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer\r\n sk-a\r\n\r\n", 400, None),
    ("Content-Length and chunked", request("POST", "/v1/uploads", AUTH, "Content-Type: application/json", "Content-Length: 5", "Transfer-Encoding: chunked") + b"0\r\n\r\n", 400, None),
    ("negative Content-Length", request("POST", "/v1/uploads", AUTH, "Content-Type: application/json", "Content-Length: -1"), 400, None),
    ("two Content-Length values", request("POST", "/v1/uploads", AUTH, "Content-Type: application/json", "Content-Length: 2", "Content-Length: 3") + b"{}", 400, None),
    ("bad chunk size", request("POST", "/v1/uploads", AUTH, "Content-Type: application/json", "Transfer-Encoding: chunked") + b"zz\r\n{}\r\n0\r\n\r\n", 400, None),
    ("100 KB header value", request("GET", "/v1/files", AUTH, "X-Big: " + "a" * (100 * KB)), 431, "The request's headers are too large."),
    ("100 KB URL", request("GET", "/v1/files?after=" + "a" * (100 * KB), AUTH), 414, "The request URL is too long."),
    ("2000 small headers", request("GET", "/v1/files", AUTH, *(f"X-H{i}: v" for i in range(2000))), 431, "The request's headers are too large."),
    ("a key with byte 0xE9", request("GET", "/v1/files", b"Authorization: Bearer sk-\xe9"), 401, NOT_ASCII.format("Authorization")),
    ("an organization with byte 0xFF", request("GET", "/v1/files", AUTH, b"OpenAI-Organization: org-\xff"), 401, NOT_ASCII.format("OpenAI-Organization")),
    ("two Authorization headers", request("GET", "/v1/files", AUTH, "Authorization: Bearer sk-b"), 401, "Send one Authorization header; this request has several."),
    ("two OpenAI-Project headers", request("GET", "/v1/files", AUTH, "OpenAI-Project: a", "OpenAI-Project: b"), 401, "Send one OpenAI-Project header; this request has several."),
    ("a JSON key twice", request("POST", "/v1/uploads", AUTH, "Content-Type: application/json", body=b'{"filename":"a","filename":"b"}'), 400, "Duplicate parameter 'filename': send each field once."),
]


@pytest.mark.parametrize(("name", "raw", "status", "message"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_requests_get_the_envelope_and_the_server_stays_up(server: Server, connect: Callable[[Server], Conn], name: str, raw: bytes, status: int, message: str | None) -> None:
    c = connect(server)
    c.send_until_refused(raw)
    answer = c.read_answer(10.0, method="GET", path="/v1/files")  # checked as a /v1 answer: OpenAI headers and envelope
    json_key = name == "a JSON key twice"
    assert_envelope(answer, status, message=message, code="invalid_api_key" if status == 401 else None, param="filename" if json_key else None)
    if status != 401 and not json_key:
        assert c.closed_within(2.0), "a request that could not be read ends its connection"
    still_up(connect(server))
