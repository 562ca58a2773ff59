"""Issue 12, "answer exactly as the real service does", through the official SDK (raw httpx2 only where
the SDK cannot send the shape):

- downloads by purpose: assistants, user_data, fine-tune and evals files are refused with the real
  service's 400 by default, the other purposes download; an unknown or foreign id is a 404 first;
  `--downloadable-purposes` (flag, env, config key) and the `--allow-assistants-download` alias;
- every size limit (file, batch file, Upload `bytes`, Part) is the real service's 400 `File is too large.`;
- the real service's wording for validation errors: purpose, required and unknown form fields, .jsonl
  filenames, fine-tune lines that are not objects, list parameters;
- an Upload's `mime_type` must fit its purpose (assistants: file-search types; vision: images).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx2
import openai
import pytest
from mockfiles_kit import Server, binary_path, free_port
from mockfiles_kit.admin import Admin

from helpers import assert_error

CREATE_PURPOSES = "['fine-tune', 'assistants', 'batch', 'user_data', 'vision', 'evals']"
LIST_PURPOSES = "'assistants', 'assistants_output', 'batch', 'batch_output', 'fine-tune', 'fine-tune-results', 'vision', 'user_data', and 'evals'"
ALL_PURPOSES = ["assistants", "assistants_output", "batch", "batch_output", "fine-tune", "fine-tune-results", "vision", "user_data", "evals"]
REFUSED_BY_DEFAULT = ["assistants", "user_data", "fine-tune", "evals"]
DOWNLOADABLE_BY_DEFAULT = ["vision", "batch", "batch_output", "fine-tune-results", "assistants_output"]
OUTPUT_PURPOSES = ["batch_output", "fine-tune-results", "assistants_output"]  # made by the platform: loaded as fixtures here
TOO_LARGE = "File is too large."

CHAT_LINE = json.dumps({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}).encode() + b"\n"
BATCH_LINE = json.dumps({"custom_id": "r1", "method": "POST", "url": "/v1/chat/completions", "body": {}}).encode() + b"\n"
EVALS_LINE = json.dumps({"item": {"input": "2+2", "ground_truth": "4"}}).encode() + b"\n"

# A file clients may create, per purpose: (filename, content).
CREATABLE = {
    "assistants": ("manual.txt", b"assistants notes\n"),
    "user_data": ("data.bin", bytes(range(256))),
    "fine-tune": ("train.jsonl", CHAT_LINE * 2),
    "evals": ("evals.jsonl", EVALS_LINE),
    "vision": ("image.png", b"\x89PNG\r\n\x1a\n" + bytes(range(32))),
    "batch": ("requests.jsonl", BATCH_LINE),
}
OUTPUT_CONTENT = b'{"custom_id": "r1", "response": {"status_code": 200}}\n'


def not_allowed(purpose: str) -> str:
    return f"Not allowed to download files of purpose: {purpose}"


def not_a_dictionary(line: int, start: str) -> str:
    return f'Expected file to have JSONL format, where every line is a JSON dictionary. Line {line} is not a dictionary (HINT: line starts with: "{start}...").'


def create(client: openai.OpenAI, purpose: str) -> openai.types.FileObject:
    filename, content = CREATABLE[purpose]
    return client.files.create(file=(filename, content), purpose=purpose)  # type: ignore[arg-type]


def assert_downloads(client: openai.OpenAI, file_id: str, content: bytes) -> None:
    assert client.files.content(file_id).read() == content


def assert_refused(client: openai.OpenAI, file_id: str, purpose: str) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        client.files.content(file_id)
    assert_error(e.value, 400, message=not_allowed(purpose), param=None, code=None, type="invalid_request_error")


@pytest.fixture(scope="module")
def output_fixtures(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A --fixtures dir with one file of each output purpose (clients cannot create those)."""
    root = tmp_path_factory.mktemp("output-fixtures")
    (root / "out.jsonl").write_bytes(OUTPUT_CONTENT)
    entries = [{"path": "out.jsonl", "purpose": p, "filename": f"{p}.jsonl"} for p in OUTPUT_PURPOSES]
    (root / "fixtures.json").write_text(json.dumps({"files": entries}))
    return root


def output_files(client: openai.OpenAI) -> dict[str, str]:
    """purpose -> id of the fixture file of each output purpose."""
    found = {f.purpose: f.id for f in client.files.list() if f.purpose in OUTPUT_PURPOSES}
    assert set(found) == set(OUTPUT_PURPOSES), found
    return found


# ---------------------------------------------------------------- downloads by purpose


@pytest.fixture(scope="module")
def default_server(start_server: Callable[..., Server], output_fixtures: Path) -> Server:
    """Default settings, plus a file of each output purpose."""
    return start_server("--fixtures", str(output_fixtures))


@pytest.fixture(scope="module")
def default_client(make_client: Callable[..., openai.OpenAI], default_server: Server) -> openai.OpenAI:
    return make_client(default_server.base_url)


@pytest.mark.parametrize("purpose", REFUSED_BY_DEFAULT)
def test_default_refuses_downloads_of(default_client: openai.OpenAI, purpose: str) -> None:
    f = create(default_client, purpose)
    assert_refused(default_client, f.id, purpose)
    assert default_client.files.retrieve(f.id) == f, "only the content is refused, not the File object"


@pytest.mark.parametrize("purpose", ["vision", "batch"])
def test_default_downloads_created(default_client: openai.OpenAI, purpose: str) -> None:
    f = create(default_client, purpose)
    assert_downloads(default_client, f.id, CREATABLE[purpose][1])


@pytest.mark.parametrize("purpose", OUTPUT_PURPOSES)
def test_default_downloads_output(default_client: openai.OpenAI, purpose: str) -> None:
    assert_downloads(default_client, output_files(default_client)[purpose], OUTPUT_CONTENT)


def test_default_download_of_an_unknown_id_is_404(default_client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as e:
        default_client.files.content("file-doesnotexist")
    assert_error(e.value, 404, message="No such File object: file-doesnotexist", param="id", code=None)


def test_refused_purpose_of_a_deleted_file_is_404(default_client: openai.OpenAI) -> None:
    f = create(default_client, "user_data")
    default_client.files.delete(f.id)
    with pytest.raises(openai.NotFoundError) as e:
        default_client.files.content(f.id)
    assert_error(e.value, 404, message=f"No such File object: {f.id}", param="id", code=None)


def test_another_tenants_file_of_a_refused_purpose_is_404_not_400(start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI]) -> None:
    """The id is looked up first: another tenant learns nothing, not even the purpose."""
    server = start_server("--tenancy", "per-key")
    owner, other = make_client(server.base_url, api_key="sk-owner"), make_client(server.base_url, api_key="sk-other")
    for purpose in REFUSED_BY_DEFAULT:
        f = create(owner, purpose)
        with pytest.raises(openai.NotFoundError) as e:
            other.files.content(f.id)
        assert_error(e.value, 404, message=f"No such File object: {f.id}", param="id", code=None)
        assert_refused(owner, f.id, purpose)


def assert_downloads_exactly(client: openai.OpenAI, allowed: set[str]) -> None:
    """Every purpose in `allowed` downloads, every other one is refused (created and output purposes)."""
    outputs = output_files(client)
    for purpose in ALL_PURPOSES:
        if purpose in CREATABLE:
            f = create(client, purpose)
            file_id, content = f.id, CREATABLE[purpose][1]
        else:
            file_id, content = outputs[purpose], OUTPUT_CONTENT
        if purpose in allowed:
            assert_downloads(client, file_id, content)
        else:
            assert_refused(client, file_id, purpose)


def test_downloadable_purposes_all(start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], output_fixtures: Path) -> None:
    server = start_server("--fixtures", str(output_fixtures), "--downloadable-purposes", "all")
    assert_downloads_exactly(make_client(server.base_url), set(ALL_PURPOSES))


def test_downloadable_purposes_list_replaces_the_default(
    start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], output_fixtures: Path
) -> None:
    server = start_server("--fixtures", str(output_fixtures), "--downloadable-purposes", "user_data,evals,batch_output")
    assert_downloads_exactly(make_client(server.base_url), {"user_data", "evals", "batch_output"})


def test_downloadable_purposes_from_the_environment(
    start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], output_fixtures: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as env:
        env.setenv("MOCKFILES_DOWNLOADABLE_PURPOSES", "fine-tune,assistants")
        server = start_server("--fixtures", str(output_fixtures))
    assert_downloads_exactly(make_client(server.base_url), {"fine-tune", "assistants"})


def test_downloadable_purposes_from_the_config_file(
    start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], output_fixtures: Path, tmp_path: Path
) -> None:
    config = tmp_path / "downloads.json"
    config.write_text(json.dumps({"downloadablePurposes": ["vision", "user_data", "fine-tune-results"]}))
    server = start_server("--config", str(config), "--fixtures", str(output_fixtures))
    assert_downloads_exactly(make_client(server.base_url), {"vision", "user_data", "fine-tune-results"})


def test_allow_assistants_download_alias_adds_assistants(
    start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], output_fixtures: Path
) -> None:
    server = start_server("--fixtures", str(output_fixtures), "--allow-assistants-download")
    assert_downloads_exactly(make_client(server.base_url), {*DOWNLOADABLE_BY_DEFAULT, "assistants"})


def test_a_bad_downloadable_purposes_value_stops_the_server(tmp_path: Path) -> None:
    args = [str(binary_path()), "serve", "--port", str(free_port()), "--data-dir", str(tmp_path / "data"), "--downloadable-purposes", "bogus"]
    run = subprocess.run(args, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert run.returncode != 0, run
    assert "downloadablePurposes" in run.stderr and "bogus" in run.stderr, run.stderr


# ---------------------------------------------------------------- File is too large.


@pytest.fixture(scope="module")
def small_limits(start_server: Callable[..., Server], tmp_path_factory: pytest.TempPathFactory) -> Server:
    config = tmp_path_factory.mktemp("limits") / "limits.json"
    config.write_text(json.dumps({"maxBatchFileBytes": 512}))
    return start_server("--config", str(config), "--max-file-bytes", "1024", "--max-upload-bytes", "4096", "--max-part-bytes", "2048")


def test_every_size_limit_is_400_file_is_too_large(make_client: Callable[..., openai.OpenAI], small_limits: Server) -> None:
    client = make_client(small_limits.base_url)
    calls: list[Callable[[], object]] = [
        lambda: client.files.create(file=("big.bin", b"x" * 1025), purpose="vision"),
        lambda: client.files.create(file=("big.jsonl", BATCH_LINE * (600 // len(BATCH_LINE) + 1)), purpose="batch"),
        lambda: client.uploads.create(bytes=4097, filename="big.bin", mime_type="image/png", purpose="vision"),
    ]
    upload = client.uploads.create(bytes=4096, filename="ok.bin", mime_type="image/png", purpose="vision")
    calls.append(lambda: client.uploads.parts.create(upload_id=upload.id, data=b"y" * 2049))
    for call in calls:
        with pytest.raises(openai.BadRequestError) as e:
            call()
        assert_error(e.value, 400, message=TOO_LARGE, param=None, code=None, type="invalid_request_error")
    assert client.files.list().data == [], "nothing was kept of the refused files"
    parts = [client.uploads.parts.create(upload_id=upload.id, data=c * 2048).id for c in (b"a", b"b")]  # at the part limit
    done = client.uploads.complete(upload.id, part_ids=parts)
    assert done.file is not None, "a refused Part leaves the Upload pending"
    assert client.files.content(done.file.id).read() == b"a" * 2048 + b"b" * 2048


# ---------------------------------------------------------------- validation wording


def test_invalid_purpose_on_files(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        client.files.create(file=("x.txt", b"x"), purpose="x")  # type: ignore[arg-type]
    assert_error(e.value, 400, message=f"'x' is not one of {CREATE_PURPOSES} - 'purpose'", param="purpose", code=None)


def test_invalid_purpose_on_uploads(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        client.uploads.create(bytes=1, filename="x.txt", mime_type="text/plain", purpose="x")  # type: ignore[arg-type]
    assert_error(e.value, 400, message=f"'x' is not one of {CREATE_PURPOSES} - 'purpose'", param="purpose", code=None)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"purpose": (None, "vision")}, "'file' is a required property"),
        ({"file": ("x.txt", b"x")}, "'purpose' is a required property"),
        ({"expires_after[anchor]": (None, "created_at"), "expires_after[seconds]": (None, "3600")}, "'file' is a required property"),
    ],
    ids=["no-file", "no-purpose", "neither"],
)
def test_missing_form_field_on_files(raw: httpx2.Client, form: dict, message: str) -> None:
    assert_error(raw.post("/v1/files", files=form), 400, message=message, param=None, code=None)


def test_unknown_form_field_on_files(raw: httpx2.Client) -> None:
    r = raw.post("/v1/files", files={"purpose": (None, "vision"), "file": ("x.txt", b"x"), "colour": (None, "blue")})
    assert_error(r, 400, message="Additional properties are not allowed ('colour' was unexpected)", param=None, code=None)


def test_unknown_form_field_on_parts(client: openai.OpenAI, raw: httpx2.Client) -> None:
    upload = client.uploads.create(bytes=1, filename="x.png", mime_type="image/png", purpose="vision")
    r = raw.post(f"/v1/uploads/{upload.id}/parts", files={"data": ("x.bin", b"x"), "colour": (None, "blue")})
    assert_error(r, 400, message="Additional properties are not allowed ('colour' was unexpected)", param=None, code=None)


def test_part_without_data(client: openai.OpenAI, raw: httpx2.Client) -> None:
    """A form without `data` (the only such form: one with no field at all, since any other field is an
    unknown one)."""
    upload = client.uploads.create(bytes=1, filename="x.png", mime_type="image/png", purpose="vision")
    r = raw.post(f"/v1/uploads/{upload.id}/parts", content=b"--b--\r\n", headers={"content-type": "multipart/form-data; boundary=b"})
    assert_error(r, 400, message="'data' is a required property", param=None, code=None)


def test_unknown_json_field_on_uploads_is_unchanged(raw: httpx2.Client) -> None:
    body = {"filename": "x.bin", "purpose": "user_data", "bytes": 1, "mime_type": "text/plain", "colour": "blue"}
    assert_error(raw.post("/v1/uploads", json=body), 400, message="Unrecognized request argument supplied: colour", param="colour", code=None)


@pytest.mark.parametrize(("purpose", "api"), [("batch", "Batch API"), ("fine-tune", "Fine-Tuning API")])
def test_jsonl_purpose_without_a_jsonl_filename(client: openai.OpenAI, purpose: str, api: str) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        client.files.create(file=("lines.txt", BATCH_LINE if purpose == "batch" else CHAT_LINE), purpose=purpose)  # type: ignore[arg-type]
    assert_error(e.value, 400, message=f"Invalid file format for {api}. Must be .jsonl", param=None, code=None)


BAD_LINES = [
    (CHAT_LINE + b"not json at all\n", 2, "not "),
    (b"[1, 2, 3]\n", 1, "[1, "),
    (CHAT_LINE * 3 + b'"a string"\n', 4, '"a s'),
    (CHAT_LINE + b"42\n", 2, "42"),
    (b"\xef\xbb\xbf" + CHAT_LINE, 1, '\ufeff{"m'),
    (CHAT_LINE + b"\xb0\xb2\xd7\xb0\xff\xfe\n", 2, r"b'\xb0\xb2\xd7\xb0'"),
    (b"h\xe9llo w\n", 1, r"b'h\xe9ll'"),
    (CHAT_LINE + "é€日本語\n".encode(), 2, "é€日本"),
]
BAD_LINE_IDS = ["text", "array", "string", "number", "byte-order-mark", "not-utf8", "latin1", "utf8-multibyte"]


@pytest.mark.parametrize(("content", "line", "start"), BAD_LINES, ids=BAD_LINE_IDS)
def test_fine_tune_line_not_a_dictionary(client: openai.OpenAI, content: bytes, line: int, start: str) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        client.files.create(file=("train.jsonl", content), purpose="fine-tune")
    assert_error(e.value, 400, message=not_a_dictionary(line, start), param=None, code=None)


@pytest.mark.parametrize(("content", "line", "start"), BAD_LINES[:1] + BAD_LINES[4:6], ids=[BAD_LINE_IDS[0], *BAD_LINE_IDS[4:6]])
def test_fine_tune_upload_lines_are_not_checked_on_complete(client: openai.OpenAI, content: bytes, line: int, start: str) -> None:
    """The lines POST /v1/files refuses complete as an Upload: the service completes a fine-tune Upload of
    the bytes 1..8 (UploadsTests/CompleteUploadWorks, 2025-09-29)."""
    upload = client.uploads.create(bytes=len(content), filename="train.jsonl", mime_type="text/jsonl", purpose="fine-tune")
    part = client.uploads.parts.create(upload_id=upload.id, data=content)
    done = client.uploads.complete(upload.id, part_ids=[part.id])
    assert done.status == "completed" and done.file is not None
    assert (done.file.status, done.file.bytes) == ("processed", len(content))


@pytest.mark.parametrize(
    ("params", "message", "param", "code"),
    [
        ({"limit": 0}, "Invalid 'limit': integer below minimum value. Expected a value >= 1, but got 0 instead.", "limit", "integer_below_min_value"),
        ({"limit": 10001}, "Invalid 'limit': integer above maximum value. Expected a value <= 10000, but got 10001 instead.", "limit", "integer_above_max_value"),
        ({"limit": "abc"}, "Invalid 'limit': expected an integer, but got 'abc' instead.", "limit", "invalid_type"),
        ({"order": "x"}, "Invalid value: 'x'. Supported values are: 'asc' and 'desc'.", "order", "invalid_value"),
        ({"purpose": "x"}, f"Invalid value: 'x'. Supported values are: {LIST_PURPOSES}.", "purpose", "invalid_value"),
    ],
    ids=["limit-0", "limit-10001", "limit-abc", "order", "purpose"],
)
def test_bad_list_parameter(client: openai.OpenAI, params: dict, message: str, param: str, code: str) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        client.files.list(**params)
    assert_error(e.value, 400, message=message, param=param, code=code)


@pytest.mark.parametrize("purpose", ALL_PURPOSES)
def test_every_purpose_is_a_valid_list_filter(client: openai.OpenAI, purpose: str) -> None:
    assert all(f.purpose == purpose for f in client.files.list(purpose=purpose, limit=5).data)


def test_unknown_after_is_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as e:
        client.files.list(after="file-nosuchcursor")
    assert_error(e.value, 404, message="No such File object: file-nosuchcursor", param="after", code=None)


def test_a_deleted_file_is_a_cursor_for_a_day(start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client]) -> None:
    server = start_server()
    client, admin = make_client(server.base_url), Admin.of(make_raw, server)
    made = []
    for i in range(3):
        made.append(client.files.create(file=(f"f{i}.png", b"x"), purpose="vision"))
        time.sleep(1.05)  # distinct created_at seconds
    client.files.delete(made[1].id)
    assert [f.id for f in client.files.list(after=made[1].id, order="asc").data] == [made[2].id]
    assert [f.id for f in client.files.list(after=made[1].id, order="desc").data] == [made[0].id]
    admin.advance(86400 + 1)
    admin.sweep()
    with pytest.raises(openai.NotFoundError) as e:
        client.files.list(after=made[1].id)
    assert_error(e.value, 404, message=f"No such File object: {made[1].id}", param="after", code=None)


# ---------------------------------------------------------------- Upload mime_type per purpose


def mime_refused(mime: str, purpose: str) -> str:
    return f"Invalid value for 'mime_type': '{mime}' is not a supported MIME type for purpose '{purpose}'."


ACCEPTED_MIME = [
    ("assistants", "notes.txt", "text/plain"),
    ("assistants", "doc.pdf", "application/pdf"),
    ("assistants", "data.json", "application/json"),
    ("assistants", "readme.md", "text/markdown"),
    ("assistants", "code.py", "text/x-python"),
    ("assistants", "page.html", "text/html"),
    ("assistants", "notes.txt", "text/plain; charset=utf-8"),
    ("assistants", "notes.txt", "TEXT/Plain"),
    ("assistants", "notes.txt", "Text/Markdown ; charset=UTF-8"),
    ("vision", "a.png", "image/png"),
    ("vision", "a.jpg", "image/jpeg"),
    ("vision", "a.webp", "image/webp"),
    ("vision", "a.gif", "image/gif"),
    ("vision", "a.png", "IMAGE/PNG"),
    ("user_data", "x.bin", "application/octet-stream"),
    ("user_data", "x.bin", "application/x-made-up"),
    ("batch", "b.jsonl", "application/octet-stream"),
    ("fine-tune", "t.jsonl", "text/jsonl"),
    ("evals", "e.jsonl", "image/png"),
]


@pytest.mark.parametrize(("purpose", "filename", "mime"), ACCEPTED_MIME, ids=[f"{p}-{m}" for p, _, m in ACCEPTED_MIME])
def test_upload_mime_type_fits_the_purpose(client: openai.OpenAI, purpose: str, filename: str, mime: str) -> None:
    upload = client.uploads.create(bytes=1, filename=filename, mime_type=mime, purpose=purpose)  # type: ignore[arg-type]
    assert (upload.status, upload.purpose) == ("pending", purpose)
    client.uploads.cancel(upload.id)


REFUSED_MIME = [
    ("assistants", "application/octet-stream"),
    ("assistants", "image/png"),
    ("assistants", "text/plainx"),
    ("vision", "application/octet-stream"),
    ("vision", "text/plain"),
    ("vision", "image/svg+xml"),
    ("vision", "image/tiff"),
    ("vision", "image/png-ish; charset=utf-8"),
]


@pytest.mark.parametrize(("purpose", "mime"), REFUSED_MIME, ids=[f"{p}-{m}" for p, m in REFUSED_MIME])
def test_upload_mime_type_that_does_not_fit_is_refused(client: openai.OpenAI, purpose: str, mime: str) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        client.uploads.create(bytes=1, filename="x.png", mime_type=mime, purpose=purpose)  # type: ignore[arg-type]
    assert_error(e.value, 400, message=mime_refused(mime, purpose), param="mime_type", code=None)


def test_upload_file_chunked_of_an_image_downloads(client: openai.OpenAI) -> None:
    payload = b"\x89PNG\r\n\x1a\n" + os.urandom(100_000)
    upload = client.uploads.upload_file_chunked(file=payload, filename="pic.png", bytes=len(payload), mime_type="image/png", purpose="vision", part_size=40_000)
    assert upload.file is not None
    assert client.files.content(upload.file.id).read() == payload

