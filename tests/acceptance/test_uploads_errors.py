"""Uploads API refusals: create validation, parts and complete that do not add up, the Upload state
machine (completed and cancelled Uploads take nothing more), unknown ids, the part size limit."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import openai
import pytest
from mockfiles_kit import Server, binary_path

from helpers import assert_error, assert_upload_object

MB = 1024 * 1024
OCTETS = "application/octet-stream"
PNG = "image/png"
GOOD_CREATE = {"filename": "x.bin", "purpose": "user_data", "bytes": 10, "mime_type": OCTETS}
CREATE_PURPOSES = "['fine-tune', 'assistants', 'batch', 'user_data', 'vision', 'evals']"
TOO_LARGE = "File is too large."


def new_upload(client: openai.OpenAI, size: int, filename: str = "e.bin") -> openai.types.Upload:
    """A pending Upload of purpose vision (its File downloads by default), so an image MIME type."""
    return client.uploads.create(bytes=size, filename=filename, mime_type=PNG, purpose="vision")


def add_parts(client: openai.OpenAI, upload_id: str, *chunks: bytes) -> list[str]:
    return [client.uploads.parts.create(upload_id=upload_id, data=c).id for c in chunks]


# ---------------------------------------------------------------- create


def test_unknown_purpose_is_rejected(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        client.uploads.create(bytes=1, filename="x.bin", mime_type=OCTETS, purpose="nonsense")  # type: ignore[arg-type]
    assert_error(e.value, 400, param="purpose", code=None, message=f"'nonsense' is not one of {CREATE_PURPOSES} - 'purpose'")


@pytest.mark.parametrize("purpose", ["assistants_output", "batch_output", "fine-tune-results"])
def test_output_purposes_cannot_be_uploaded(client: openai.OpenAI, purpose: str) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        client.uploads.create(bytes=1, filename="x.jsonl", mime_type="text/jsonl", purpose=purpose)  # type: ignore[arg-type]
    assert_error(e.value, 400, param="purpose", code=None, message=f"'{purpose}' is not one of {CREATE_PURPOSES} - 'purpose'")


@pytest.mark.parametrize("missing", ["filename", "purpose", "bytes", "mime_type"])
def test_missing_required_field_is_named(raw: httpx2.Client, missing: str) -> None:
    body = {k: v for k, v in GOOD_CREATE.items() if k != missing}
    assert_error(raw.post("/v1/uploads", json=body), 400, param=missing)


@pytest.mark.parametrize(
    ("field", "value"),
    [("bytes", -1), ("bytes", "10"), ("bytes", 1.5), ("bytes", None), ("filename", 7), ("mime_type", ["a"]), ("purpose", None)],
    ids=["bytes-negative", "bytes-string", "bytes-fraction", "bytes-null", "filename-number", "mime_type-list", "purpose-null"],
)
def test_bad_field_value_is_named(raw: httpx2.Client, field: str, value: object) -> None:
    assert_error(raw.post("/v1/uploads", json={**GOOD_CREATE, field: value}), 400, param=field)


def test_bytes_over_8_gb_is_too_large(client: openai.OpenAI) -> None:
    """Over maxUploadBytes (8 GiB by default): the real service's 400 `File is too large.`, no param."""
    with pytest.raises(openai.BadRequestError) as e:
        client.uploads.create(bytes=9 * 1024**3, filename="x.bin", mime_type=OCTETS, purpose="user_data")
    assert_error(e.value, 400, param=None, code=None, message=TOO_LARGE)


def test_unknown_field_is_rejected_by_name(raw: httpx2.Client) -> None:
    assert_error(raw.post("/v1/uploads", json={**GOOD_CREATE, "colour": "blue"}), 400, param="colour")


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b""], ids=["not-json", "json-array", "empty"])
def test_create_body_must_be_a_json_object(raw: httpx2.Client, body: bytes) -> None:
    assert_error(raw.post("/v1/uploads", content=body, headers={"content-type": "application/json"}), 400)


@pytest.mark.parametrize("seconds", [3599, 2592001, 0])
def test_expires_after_seconds_out_of_range_is_named(client: openai.OpenAI, seconds: int) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        client.uploads.create(bytes=1, filename="x.bin", mime_type=OCTETS, purpose="user_data", expires_after={"anchor": "created_at", "seconds": seconds})
    assert_error(e.value, 400, param="expires_after.seconds")


def test_expires_after_unknown_anchor_is_named(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        client.uploads.create(
            bytes=1, filename="x.bin", mime_type=OCTETS, purpose="user_data", expires_after={"anchor": "last_active_at", "seconds": 3600}  # type: ignore[typeddict-item]
        )
    assert_error(e.value, 400, param="expires_after.anchor")


@pytest.mark.parametrize(
    ("expires_after", "param"),
    [
        ("soon", "expires_after"),
        ({"anchor": "created_at"}, "expires_after.seconds"),
        ({"seconds": 3600}, "expires_after.anchor"),
        ({"anchor": "created_at", "seconds": "3600"}, "expires_after.seconds"),
        ({"anchor": "created_at", "seconds": 3600.5}, "expires_after.seconds"),
        ({"anchor": 1, "seconds": 3600}, "expires_after.anchor"),
        ({"anchor": "created_at", "seconds": 3600, "colour": "blue"}, "expires_after.colour"),
    ],
    ids=["not-an-object", "missing-seconds", "missing-anchor", "seconds-string", "seconds-fraction", "anchor-number", "unknown-nested-field"],
)
def test_bad_expires_after_names_the_nested_field(raw: httpx2.Client, expires_after: object, param: str) -> None:
    """Nested fields are named by their path, `expires_after.seconds`, as the real service does for JSON bodies."""
    assert_error(raw.post("/v1/uploads", json={**GOOD_CREATE, "expires_after": expires_after}), 400, param=param)


@pytest.mark.parametrize("field", ["filename", "mime_type"])
def test_empty_strings_are_rejected(raw: httpx2.Client, field: str) -> None:
    assert_error(raw.post("/v1/uploads", json={**GOOD_CREATE, field: ""}), 400, param=field)


@pytest.mark.parametrize(("purpose", "api"), [("batch", "Batch API"), ("fine-tune", "Fine-Tuning API")])
def test_jsonl_purposes_refuse_another_extension(client: openai.OpenAI, purpose: str, api: str) -> None:
    """The service's words for POST /v1/files (param and code null), not a text of our own naming `filename`."""
    with pytest.raises(openai.BadRequestError) as e:
        client.uploads.create(bytes=1, filename="requests.txt", mime_type="text/plain", purpose=purpose)  # type: ignore[arg-type]
    assert_error(e.value, 400, message=f"Invalid file format for {api}. Must be .jsonl", param=None, code=None)


# ---------------------------------------------------------------- unknown Upload


def test_unknown_upload_is_404_everywhere(client: openai.OpenAI) -> None:
    missing = "upload_doesnotexist"
    calls: list[Callable[[], object]] = [
        lambda: client.uploads.parts.create(upload_id=missing, data=b"x"),
        lambda: client.uploads.complete(missing, part_ids=[]),
        lambda: client.uploads.cancel(missing),
    ]
    for call in calls:
        with pytest.raises(openai.NotFoundError) as e:
            call()
        assert_error(e.value, 404, message=f"No such Upload object: {missing}")


# ---------------------------------------------------------------- parts


def test_part_with_an_unknown_field_is_rejected_by_name(client: openai.OpenAI, raw: httpx2.Client) -> None:
    upload = new_upload(client, 1)
    r = raw.post(f"/v1/uploads/{upload.id}/parts", files={"chunk": ("x.bin", b"x")})
    assert_error(r, 400, param=None, code=None, message="Additional properties are not allowed ('chunk' was unexpected)")
    r = raw.post(f"/v1/uploads/{upload.id}/parts", files={"data": ("x.bin", b"x"), "note": (None, "hi")})
    assert_error(r, 400, param=None, code=None, message="Additional properties are not allowed ('note' was unexpected)")


def test_part_without_data_is_rejected(client: openai.OpenAI, raw: httpx2.Client) -> None:
    upload = new_upload(client, 1)
    empty_form = {"content-type": "multipart/form-data; boundary=nothing-here"}  # no body part at all (RFC 2046 wants one)
    r = raw.post(f"/v1/uploads/{upload.id}/parts", content=b"--nothing-here--\r\n", headers=empty_form)
    error = assert_error(r, 400)
    assert error["param"] in ("data", None), error  # the exact wording is checked in test_fidelity


def test_part_must_be_multipart(client: openai.OpenAI, raw: httpx2.Client) -> None:
    upload = new_upload(client, 1)
    assert_error(raw.post(f"/v1/uploads/{upload.id}/parts", json={"data": "x"}), 400)


# ---------------------------------------------------------------- complete


@pytest.mark.parametrize(("declared", "listed"), [(10, 1), (11, 2)], ids=["some-parts-left-out", "fewer-bytes-than-declared"])
def test_total_bytes_must_equal_declared_bytes(client: openai.OpenAI, declared: int, listed: int) -> None:
    upload = new_upload(client, declared)
    ids = add_parts(client, upload.id, b"12345", b"67890")
    with pytest.raises(openai.BadRequestError) as e:
        client.uploads.complete(upload.id, part_ids=ids[:listed])
    error = assert_error(e.value, 400)
    assert error["param"] in ("part_ids", "bytes"), error


def part_past_bytes(upload_id: str, size: int, held: int, declared: int) -> str:
    return f"Cannot add a Part of {size} bytes to Upload {upload_id}: its Parts already hold {held} of the {declared} bytes it was created with."


def test_a_part_past_the_declared_bytes_is_refused_and_kept_nowhere(client: openai.OpenAI, server: Server) -> None:
    """An Upload of bytes=1 once took five 64 KiB parts and kept them for an hour."""
    upload = new_upload(client, 1)
    for _ in range(5):
        marker = os.urandom(32)
        with pytest.raises(openai.BadRequestError) as e:
            client.uploads.parts.create(upload_id=upload.id, data=marker + b"p" * (64 * 1024 - 32))
        assert_error(e.value, 400, param="data", code=None, message=part_past_bytes(upload.id, 64 * 1024, 0, 1))
        assert_no_leftovers(server.data_dir, marker)
    [one] = add_parts(client, upload.id, b"1")
    with pytest.raises(openai.BadRequestError) as e:
        client.uploads.parts.create(upload_id=upload.id, data=b"2")
    assert_error(e.value, 400, param="data", message=part_past_bytes(upload.id, 1, 1, 1))
    done = client.uploads.complete(upload.id, part_ids=[one])
    assert done.file is not None and client.files.content(done.file.id).read() == b"1"


def test_parallel_parts_never_add_up_past_the_declared_bytes(client: openai.OpenAI, raw: httpx2.Client) -> None:
    upload = new_upload(client, 5 * 1000)

    def send(n: int) -> httpx2.Response:
        return raw.post(f"/v1/uploads/{upload.id}/parts", files={"data": ("blob", bytes([n]) * 1000, OCTETS)})

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(send, range(16)))
    accepted = [r.json()["id"] for r in answers if r.status_code == 200]
    refused = [r for r in answers if r.status_code != 200]
    assert len(accepted) == 5, [r.text for r in answers]
    for r in refused:
        error = assert_error(r, 400, param="data", code=None)
        assert error["message"].startswith(f"Cannot add a Part of 1000 bytes to Upload {upload.id}: its Parts already hold "), error
    done = client.uploads.complete(upload.id, part_ids=accepted)
    assert done.status == "completed" and done.bytes == 5000


def test_unknown_part_id_is_rejected(client: openai.OpenAI) -> None:
    upload = new_upload(client, 4)
    ids = add_parts(client, upload.id, b"ab", b"cd")
    with pytest.raises(openai.BadRequestError) as e:
        client.uploads.complete(upload.id, part_ids=[ids[0], "part_doesnotexist"])
    assert_error(e.value, 400, param="part_ids", contains="part_doesnotexist")
    done = client.uploads.complete(upload.id, part_ids=ids)
    assert done.status == "completed", "a refused complete leaves the Upload pending"


def test_part_of_another_upload_is_rejected(client: openai.OpenAI) -> None:
    mine, other = new_upload(client, 2), new_upload(client, 2)
    [theirs] = add_parts(client, other.id, b"zz")
    add_parts(client, mine.id, b"aa")
    with pytest.raises(openai.BadRequestError) as e:
        client.uploads.complete(mine.id, part_ids=[theirs])
    assert_error(e.value, 400, param="part_ids", contains=theirs)
    assert client.uploads.complete(other.id, part_ids=[theirs]).status == "completed"


def test_repeated_part_id_is_rejected_even_when_the_bytes_add_up(client: openai.OpenAI) -> None:
    upload = new_upload(client, 6)
    [a] = add_parts(client, upload.id, b"abc")
    with pytest.raises(openai.BadRequestError) as e:
        client.uploads.complete(upload.id, part_ids=[a, a])
    assert_error(e.value, 400, param="part_ids")


@pytest.mark.parametrize("body", [{}, {"part_ids": "part_x"}, {"part_ids": [1]}, {"part_ids": [], "colour": "blue"}], ids=["missing", "string", "numbers", "unknown-field"])
def test_complete_body_is_validated(client: openai.OpenAI, raw: httpx2.Client, body: dict) -> None:
    upload = new_upload(client, 0)
    r = raw.post(f"/v1/uploads/{upload.id}/complete", json=body)
    assert_error(r, 400, param="colour" if "colour" in body else "part_ids")


# ---------------------------------------------------------------- the state machine


def test_cancel_then_nothing_more(client: openai.OpenAI) -> None:
    upload = new_upload(client, 3, filename="cancel.bin")
    ids = add_parts(client, upload.id, b"abc")
    cancelled = client.uploads.with_raw_response.cancel(upload.id).http_response.json()
    assert_upload_object(cancelled, status="cancelled", filename="cancel.bin", purpose="vision", size=3)
    assert cancelled["id"] == upload.id

    with pytest.raises(openai.BadRequestError) as e:
        client.uploads.parts.create(upload_id=upload.id, data=b"more")
    assert_error(e.value, 400)
    with pytest.raises(openai.BadRequestError) as e:
        client.uploads.complete(upload.id, part_ids=ids)
    assert_error(e.value, 400)
    with pytest.raises(openai.BadRequestError) as e:
        client.uploads.cancel(upload.id)
    assert_error(e.value, 400)


def test_completed_upload_takes_nothing_more(client: openai.OpenAI) -> None:
    upload = new_upload(client, 3)
    ids = add_parts(client, upload.id, b"xyz")
    done = client.uploads.complete(upload.id, part_ids=ids)
    assert done.file is not None
    files_before = {f.id for f in client.files.list()}

    with pytest.raises(openai.BadRequestError) as e:
        client.uploads.parts.create(upload_id=upload.id, data=b"more")
    assert_error(e.value, 400)
    with pytest.raises(openai.BadRequestError) as e:
        client.uploads.complete(upload.id, part_ids=ids)
    assert_error(e.value, 400)
    with pytest.raises(openai.BadRequestError) as e:
        client.uploads.cancel(upload.id)
    assert_error(e.value, 400)
    assert client.files.content(done.file.id).read() == b"xyz", "refusals after completion leave the File alone"
    assert {f.id for f in client.files.list()} == files_before, "a second complete makes no second File"


# ---------------------------------------------------------------- --max-part-bytes


@pytest.fixture(scope="module")
def small_parts(start_server: Callable[..., Server]) -> Server:
    assert "--max-part-bytes" in _serve_help(), "mockfiles serve lost its --max-part-bytes option (README: Limits)"
    return start_server("--max-part-bytes", str(MB))


def _serve_help() -> str:
    return subprocess.run([str(binary_path()), "serve", "--help"], capture_output=True, text=True, timeout=30).stdout


def test_part_at_the_limit_is_accepted_and_over_it_is_too_large(make_client: Callable[..., openai.OpenAI], small_parts: Server) -> None:
    client = make_client(small_parts.base_url)
    head = os.urandom(MB)
    upload = new_upload(client, MB + 3)
    ok = add_parts(client, upload.id, head)

    for size in (MB + 1, 5 * MB):
        marker = os.urandom(32)
        with pytest.raises(openai.BadRequestError) as e:
            client.uploads.parts.create(upload_id=upload.id, data=marker + b"y" * (size - 32))
        assert_error(e.value, 400, param=None, code=None, message=TOO_LARGE)
        assert_no_leftovers(small_parts.data_dir, marker)

    ok += add_parts(client, upload.id, b"end")
    done = client.uploads.complete(upload.id, part_ids=ok)
    assert done.file is not None, "a refused Part leaves the Upload pending"
    assert client.files.content(done.file.id).read() == head + b"end"


def assert_no_leftovers(data_dir: Path, marker: bytes) -> None:
    def leftovers() -> list[Path]:
        return [p for p in data_dir.rglob("*") if p.is_file() and marker in p.read_bytes()]

    deadline = time.monotonic() + 5
    while leftovers() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert leftovers() == [], "refused or discarded bytes must leave nothing behind in the data dir"


# ---------------------------------------------------------------- tenancy


@pytest.fixture(scope="module")
def per_key(start_server: Callable[..., Server]) -> Server:
    return start_server("--tenancy", "per-key")


def test_uploads_of_one_key_are_invisible_to_another(make_client: Callable[..., openai.OpenAI], per_key: Server) -> None:
    a = make_client(per_key.base_url, api_key="sk-up-a")
    b = make_client(per_key.base_url, api_key="sk-up-b")
    upload = new_upload(a, 4)
    ids = add_parts(a, upload.id, b"mine")
    calls: list[Callable[[], object]] = [
        lambda: b.uploads.parts.create(upload_id=upload.id, data=b"x"),
        lambda: b.uploads.complete(upload.id, part_ids=ids),
        lambda: b.uploads.cancel(upload.id),
    ]
    for call in calls:
        with pytest.raises(openai.NotFoundError) as e:
            call()
        assert_error(e.value, 404, message=f"No such Upload object: {upload.id}")
    done = a.uploads.complete(upload.id, part_ids=ids)
    assert done.file is not None
    assert a.files.content(done.file.id).read() == b"mine"
    with pytest.raises(openai.NotFoundError):
        b.files.retrieve(done.file.id)
