"""HTTP details the SDK cannot show, over raw sockets and hand-built bodies:

- a JSON body the client breaks off is logged as 499 (not 413) and creates nothing; a declared
  `Content-Length` over 1 MiB on a JSON endpoint is answered 413 at once, before any body is sent;
- `Expect: 100-continue`: the interim `100 Continue` comes only once the request is wanted; a request
  refused first (no or bad key, unknown route, declared size over the limit) gets its final answer
  instead, and no 100;
- multipart bodies as common clients write them: preamble, epilogue, quoted boundary,
  `filename*=utf-8''...`, a part `Content-Length` header.

Every socket has a timeout, so no test can hang.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator

import httpx2
import openai
import pytest
from mockfiles_kit import Server
from mockfiles_kit.admin import Admin

from helpers import assert_error, assert_file_object
from rawhttp import Answer, Conn, connector

BOUNDARY = "rawHttpBoundary7"
MB = 1024 * 1024
SMALL_LIMIT = 4096  # --max-file-bytes and --max-part-bytes of `small_server`
FORM_OVERHEAD = MB  # room the server allows on top of the limit for multipart framing and text fields


@pytest.fixture
def connect() -> Iterator[Callable[[Server], Conn]]:
    yield from connector()


def head(method: str, path: str, *, key: str | None = "sk-test", content_type: str | None = None, length: int | None = None, expect: bool = False) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: mockfiles"]
    if key is not None:
        lines.append(f"Authorization: Bearer {key}")
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if expect:
        lines.append("Expect: 100-continue")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def form(*parts: tuple[str, bytes, str | None], boundary: str = BOUNDARY) -> bytes:
    """A multipart/form-data body; each part is (name, value, filename or None)."""
    out = b""
    for name, value, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename is not None:
            out += b"Content-Type: application/octet-stream\r\n"
        out += b"\r\n" + value + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


@pytest.fixture(scope="module")
def small_server(start_server: Callable[..., Server]) -> Server:
    return start_server("--max-file-bytes", str(SMALL_LIMIT), "--max-part-bytes", str(SMALL_LIMIT))


@pytest.fixture(scope="module")
def keyed_server(start_server: Callable[..., Server], tmp_path_factory: pytest.TempPathFactory) -> Server:
    config = tmp_path_factory.mktemp("raw-keys") / "keys.json"
    config.write_text(json.dumps({"apiKeys": ["sk-good"], "rejectUnknownKeys": True}))
    return start_server("--config", str(config))


# ---------------------------------------------------------------- JSON bodies: cut off, too large


def test_a_json_body_cut_off_by_the_client_is_499_and_creates_nothing(
    start_server: Callable[..., Server], make_raw: Callable[..., httpx2.Client], connect: Callable[[Server], Conn]
) -> None:
    server = start_server()
    admin = Admin.of(make_raw, server)
    c = connect(server)
    c.send(head("POST", "/v1/uploads", content_type="application/json", length=1000) + b'{"filename"')
    time.sleep(0.2)
    c.sock.close()
    deadline, logged = time.monotonic() + 10, []
    while time.monotonic() < deadline:
        logged = [(e["method"], e["path"], e["status"]) for e in admin.requests() if e["path"] == "/v1/uploads"]
        if logged:
            break
        time.sleep(0.1)
    assert logged == [("POST", "/v1/uploads", 499)], "a client that broke off is logged as 499 (client closed request), not 413"
    assert admin.reset()["uploads_removed"] == 0, "no Upload was created"


@pytest.mark.parametrize("endpoint", ["create", "complete"])
def test_a_declared_json_body_over_1_mib_is_413_before_it_is_sent(
    server: Server, client: openai.OpenAI, connect: Callable[[Server], Conn], endpoint: str
) -> None:
    if endpoint == "create":
        path = "/v1/uploads"
    else:
        path = f"/v1/uploads/{client.uploads.create(bytes=1, filename='j.png', mime_type='image/png', purpose='vision').id}/complete"
    c = connect(server)
    c.send(head("POST", path, content_type="application/json", length=MB + 1))
    started = time.monotonic()
    answer = c.read_answer(5.0, path=path)
    assert time.monotonic() - started < 5
    assert answer.status == 413, answer
    assert answer.json()["error"]["type"] == "invalid_request_error", answer


def test_a_json_body_over_1_mib_is_still_413(raw: httpx2.Client) -> None:
    body = json.dumps({"filename": "x.bin", "purpose": "user_data", "bytes": 1, "mime_type": "text/plain", "pad": "x" * MB}).encode()
    assert_error(raw.post("/v1/uploads", content=body, headers={"content-type": "application/json"}), 413)


def test_a_chunked_json_body_over_1_mib_is_413(raw: httpx2.Client) -> None:
    """No Content-Length (chunked): refused once more than 1 MiB has arrived."""

    def chunks() -> Iterator[bytes]:
        yield b'{"filename": "x.bin", "pad": "'
        for _ in range(3):
            yield b"x" * MB
        yield b'"}'

    assert_error(raw.post("/v1/uploads", content=chunks(), headers={"content-type": "application/json"}), 413)


# ---------------------------------------------------------------- Expect: 100-continue


def files_body(content: bytes, filename: str = "expect.bin", purpose: str = "vision") -> bytes:
    return form(("purpose", purpose.encode(), None), ("file", content, filename))


def test_expect_continue_gets_100_then_the_file(server: Server, make_client: Callable[..., openai.OpenAI], connect: Callable[[Server], Conn]) -> None:
    content = os.urandom(5000)
    body = files_body(content)
    c = connect(server)
    c.send(head("POST", "/v1/files", content_type=MULTIPART, length=len(body), expect=True))
    assert c.readable(1.0), "no 100 Continue within 1 s"
    interim = c.read_answer(1.0)
    assert (interim.status, interim.reason) == (100, "Continue"), interim
    c.send(body)
    answer = c.read_answer(10.0, path="/v1/files")
    assert answer.status == 200, answer
    created = answer.json()
    assert_file_object(created, filename="expect.bin", purpose="vision", size=len(content))
    assert make_client(server.base_url).files.content(created["id"]).read() == content


def test_expect_continue_on_a_part_gets_100_then_the_part(server: Server, make_client: Callable[..., openai.OpenAI], connect: Callable[[Server], Conn]) -> None:
    client = make_client(server.base_url)
    upload = client.uploads.create(bytes=3000, filename="e.png", mime_type="image/png", purpose="vision")
    data = os.urandom(3000)
    body = form(("data", data, "blob"))
    path = f"/v1/uploads/{upload.id}/parts"
    c = connect(server)
    c.send(head("POST", path, content_type=MULTIPART, length=len(body), expect=True))
    interim = c.read_answer(1.0)
    assert interim.status == 100, interim
    c.send(body)
    answer = c.read_answer(10.0, path=path)
    assert answer.status == 200, answer
    part = answer.json()
    assert part["object"] == "upload.part" and part["upload_id"] == upload.id
    done = client.uploads.complete(upload.id, part_ids=[part["id"]])
    assert done.file is not None
    assert client.files.content(done.file.id).read() == data


def assert_final_answer_without_100(c: Conn, status: int, path: str) -> Answer:
    """The first thing read is the final answer (no 100); the body was never sent."""
    answer = c.read_answer(5.0, path=path)
    assert answer.status == status, f"want the final {status} first (no 100 Continue), got {answer}"
    return answer


def test_expect_continue_without_a_key_is_401_first(server: Server, connect: Callable[[Server], Conn]) -> None:
    body = files_body(b"x" * 1000)
    c = connect(server)
    c.send(head("POST", "/v1/files", key=None, content_type=MULTIPART, length=len(body), expect=True))
    answer = assert_final_answer_without_100(c, 401, "/v1/files")
    assert answer.json()["error"]["message"].startswith("You didn't provide an API key"), answer


@pytest.mark.parametrize("key", ["sk-bad", None], ids=["unknown-key", "no-key"])
def test_expect_continue_with_a_refused_key_is_401_first(keyed_server: Server, connect: Callable[[Server], Conn], key: str | None) -> None:
    body = files_body(b"x" * 1000)
    c = connect(keyed_server)
    c.send(head("POST", "/v1/files", key=key, content_type=MULTIPART, length=len(body), expect=True))
    answer = assert_final_answer_without_100(c, 401, "/v1/files")
    if key is not None:
        assert answer.json()["error"]["code"] == "invalid_api_key", answer


def test_expect_continue_with_the_listed_key_gets_100(keyed_server: Server, connect: Callable[[Server], Conn]) -> None:
    body = files_body(b"listed")
    c = connect(keyed_server)
    c.send(head("POST", "/v1/files", key="sk-good", content_type=MULTIPART, length=len(body), expect=True))
    assert c.read_answer(1.0).status == 100
    c.send(body)
    assert c.read_answer(10.0, path="/v1/files").status == 200


def test_expect_continue_to_an_unknown_route_is_404_first(server: Server, connect: Callable[[Server], Conn]) -> None:
    body = files_body(b"x" * 1000)
    c = connect(server)
    c.send(head("POST", "/v1/nothing", content_type=MULTIPART, length=len(body), expect=True))
    answer = assert_final_answer_without_100(c, 404, "/v1/nothing")
    assert answer.json()["error"]["message"] == "Invalid URL (POST /v1/nothing)", answer


@pytest.mark.parametrize("target", ["file", "part"])
def test_expect_continue_over_the_size_limit_is_too_large_first(
    small_server: Server, make_client: Callable[..., openai.OpenAI], connect: Callable[[Server], Conn], target: str
) -> None:
    """A declared Content-Length beyond the limit (plus the room allowed for the form around it) is refused
    from the head alone; only the head is sent."""
    client = make_client(small_server.base_url)
    if target == "file":
        path = "/v1/files"
    else:
        path = f"/v1/uploads/{client.uploads.create(bytes=SMALL_LIMIT, filename='p.png', mime_type='image/png', purpose='vision').id}/parts"
    c = connect(small_server)
    c.send(head("POST", path, content_type=MULTIPART, length=SMALL_LIMIT + FORM_OVERHEAD + 1, expect=True))
    answer = assert_final_answer_without_100(c, 400, path)
    error = answer.json()["error"]
    assert (error["message"], error["param"], error["code"], error["type"]) == ("File is too large.", None, None, "invalid_request_error"), error
    assert client.files.list().data == []


def test_a_declared_file_over_the_limit_is_refused_without_expect(small_server: Server, connect: Callable[[Server], Conn]) -> None:
    """The same refusal without `Expect`: answered from the head, before any body byte."""
    c = connect(small_server)
    c.send(head("POST", "/v1/files", content_type=MULTIPART, length=SMALL_LIMIT + FORM_OVERHEAD + 1))
    answer = c.read_answer(5.0, path="/v1/files")
    assert (answer.status, answer.json()["error"]["message"]) == (400, "File is too large."), answer


def test_expect_continue_just_over_the_file_limit_is_too_large_after_the_body(
    small_server: Server, make_client: Callable[..., openai.OpenAI], connect: Callable[[Server], Conn]
) -> None:
    """Declared within the room for the form: the 100 comes, the body is read, and the file is refused."""
    body = files_body(b"x" * (SMALL_LIMIT + 1))
    c = connect(small_server)
    c.send(head("POST", "/v1/files", content_type=MULTIPART, length=len(body), expect=True))
    assert c.read_answer(1.0).status == 100
    c.send(body)
    answer = c.read_answer(10.0, path="/v1/files")
    error = answer.json()["error"]
    assert (answer.status, error["message"], error["param"], error["code"]) == (400, "File is too large.", None, None), answer
    assert make_client(small_server.base_url).files.list().data == []


def test_expect_continue_3_mb_upload_is_not_held_back(server: Server, make_client: Callable[..., openai.OpenAI], connect: Callable[[Server], Conn]) -> None:
    """curl waits a second for the 100 before sending anyway; the 100 must come at once, before any body."""
    content = os.urandom(3 * MB)
    body = files_body(content, filename="curl-style.bin")
    c = connect(server)
    started = time.monotonic()
    c.send(head("POST", "/v1/files", content_type=MULTIPART, length=len(body), expect=True))
    interim = c.read_answer(1.0)
    waited = time.monotonic() - started
    assert interim.status == 100, interim
    c.send(body)
    answer = c.read_answer(30.0, path="/v1/files")
    took = time.monotonic() - started
    assert answer.status == 200, answer
    assert waited < 0.5, f"the 100 came {waited:.3f}s after the head"
    assert took < 5, f"the whole upload took {took:.2f}s"
    assert make_client(server.base_url).files.content(answer.json()["id"]).read() == content


def test_expect_continue_with_httpx_completes(raw: httpx2.Client, client: openai.OpenAI) -> None:
    """A client that sends `Expect: 100-continue` but does not wait for it (as httpx does) is served too."""
    r = raw.post("/v1/files", files={"file": ("x.bin", b"no wait")}, data={"purpose": "vision"}, headers={"Expect": "100-continue"})
    assert r.status_code == 200, r.text
    assert client.files.content(r.json()["id"]).read() == b"no wait"


# ---------------------------------------------------------------- multipart shapes


def post_files(raw: httpx2.Client, body: bytes, content_type: str = MULTIPART) -> httpx2.Response:
    return raw.post("/v1/files", content=body, headers={"content-type": content_type})


def assert_created(r: httpx2.Response, client: openai.OpenAI, *, filename: str, content: bytes) -> None:
    assert r.status_code == 200, r.text
    created = r.json()
    assert_file_object(created, filename=filename, purpose="vision", size=len(content))
    assert client.files.content(created["id"]).read() == content


SHAPE_CONTENT = b"line one\r\n--" + BOUNDARY.encode()[:-1] + b"x\r\nline three\r\n"  # near-boundary bytes inside


@pytest.mark.parametrize(
    ("prefix", "suffix"),
    [
        (b"", b"\r\n"),
        (b"", b"\r\nsome trailing text"),
        (b"", b"\r\n\r\n--" + BOUNDARY.encode() + b"\r\nlooks like a part\r\n"),
        (b"preamble text\r\n", b""),
        (b"\r\n", b""),
        (b"preamble line 1\r\npreamble line 2\r\n", b"\r\nepilogue\r\n"),
    ],
    ids=["epilogue-crlf", "epilogue-text", "epilogue-looks-like-a-part", "preamble-text", "preamble-crlf", "both"],
)
def test_preamble_and_epilogue_are_ignored(raw: httpx2.Client, client: openai.OpenAI, prefix: bytes, suffix: bytes) -> None:
    body = form(("purpose", b"vision", None), ("file", SHAPE_CONTENT, "shape.bin"))
    assert body.endswith(b"--\r\n")
    body = prefix + body[: -len(b"\r\n")] + (suffix or b"\r\n")
    assert_created(post_files(raw, body), client, filename="shape.bin", content=SHAPE_CONTENT)


def test_epilogue_on_a_part(raw: httpx2.Client, client: openai.OpenAI) -> None:
    data = os.urandom(100)
    upload = client.uploads.create(bytes=len(data), filename="e.png", mime_type="image/png", purpose="vision")
    body = b"preamble\r\n" + form(("data", data, "blob")) + b"\r\ntrailing\r\n"
    r = raw.post(f"/v1/uploads/{upload.id}/parts", content=body, headers={"content-type": MULTIPART})
    assert r.status_code == 200, r.text
    done = client.uploads.complete(upload.id, part_ids=[r.json()["id"]])
    assert done.file is not None
    assert client.files.content(done.file.id).read() == data


@pytest.mark.parametrize(
    "content_type",
    [
        f'multipart/form-data; boundary="{BOUNDARY}"',
        f"multipart/form-data;boundary={BOUNDARY}",
        f'Multipart/Form-Data; charset=utf-8; boundary="{BOUNDARY}"',
    ],
    ids=["quoted", "no-space", "quoted-after-another-parameter"],
)
def test_boundary_parameter_forms(raw: httpx2.Client, client: openai.OpenAI, content_type: str) -> None:
    body = form(("purpose", b"vision", None), ("file", b"quoted boundary", "q.bin"))
    assert_created(post_files(raw, body, content_type), client, filename="q.bin", content=b"quoted boundary")


def test_quoted_boundary_with_characters_that_need_quotes(raw: httpx2.Client, client: openai.OpenAI) -> None:
    boundary = "----=_Part_0:1?x"
    body = form(("purpose", b"vision", None), ("file", b"odd boundary", "odd.bin"), boundary=boundary)
    assert_created(post_files(raw, body, f'multipart/form-data; boundary="{boundary}"'), client, filename="odd.bin", content=b"odd boundary")


def file_part(disposition: str, content: bytes, extra: bytes = b"") -> bytes:
    return f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n".encode() + extra + b"\r\n" + content + b"\r\n"


PURPOSE_PART = file_part('form-data; name="purpose"', b"vision")
CLOSE = f"--{BOUNDARY}--\r\n".encode()


def test_filename_star_utf8(raw: httpx2.Client, client: openai.OpenAI) -> None:
    body = PURPOSE_PART + file_part("form-data; name=\"file\"; filename*=utf-8''r%C3%A9sum%C3%A9%20%E6%96%87.txt", b"cv") + CLOSE
    assert_created(post_files(raw, body), client, filename="résumé 文.txt", content=b"cv")


def test_part_content_length_header(raw: httpx2.Client, client: openai.OpenAI) -> None:
    content = b"sized part \r\n with a CRLF"
    extra = f"Content-Type: application/octet-stream\r\nContent-Length: {len(content)}\r\n".encode()
    purpose = file_part('form-data; name="purpose"', b"vision", b"Content-Length: 6\r\n")
    body = purpose + file_part('form-data; name="file"; filename="sized.bin"', content, extra) + CLOSE
    assert_created(post_files(raw, body), client, filename="sized.bin", content=content)


def test_part_headers_in_other_cases_and_orders(raw: httpx2.Client, client: openai.OpenAI) -> None:
    part = (
        f"--{BOUNDARY}\r\ncontent-type: application/octet-stream\r\nCONTENT-DISPOSITION: form-data; filename=\"late.bin\"; name=file\r\n\r\n".encode()
        + b"mixed case\r\n"
    )
    body = PURPOSE_PART + part + CLOSE
    assert_created(post_files(raw, body), client, filename="late.bin", content=b"mixed case")
