"""POST /v1/files through the official SDK: purposes, expiry, validation errors."""

from __future__ import annotations

import json

import httpx2
import openai
import pytest
from mockfiles_kit import Server

from helpers import assert_error, assert_file_object

THIRTY_DAYS = 2592000

CHAT_LINE = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
BATCH_LINE = {"custom_id": "r1", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o-mini", "messages": []}}


CREATE_PURPOSES = "['fine-tune', 'assistants', 'batch', 'user_data', 'vision', 'evals']"
NOT_DOWNLOADABLE = {"assistants", "user_data", "fine-tune", "evals"}  # by default, as the real service (test_fidelity)


def jsonl(*objects: object) -> bytes:
    return b"".join(json.dumps(o).encode() + b"\n" for o in objects)


PURPOSE_CASES = [
    ("assistants", "notes.txt", b"plain text for assistants\n"),
    ("batch", "requests.jsonl", jsonl(BATCH_LINE, {**BATCH_LINE, "custom_id": "r2"})),
    ("fine-tune", "train.jsonl", jsonl(CHAT_LINE, CHAT_LINE, CHAT_LINE)),
    ("vision", "image.png", b"\x89PNG\r\n\x1a\n" + bytes(range(64))),
    ("user_data", "data.bin", bytes(range(256)) * 3),
    ("evals", "evals.jsonl", jsonl({"item": {"input": "2+2", "ground_truth": "4"}})),
]


def create_raw(client: openai.OpenAI, **kwargs: object) -> dict:
    """Create through the SDK and return the File object as JSON from the wire."""
    response = client.files.with_raw_response.create(**kwargs)
    parsed = response.parse()
    body = response.http_response.json()
    assert parsed.id == body["id"]
    return body


@pytest.mark.parametrize(("purpose", "filename", "content"), PURPOSE_CASES, ids=[c[0] for c in PURPOSE_CASES])
def test_create_accepts_every_create_purpose(client: openai.OpenAI, purpose: str, filename: str, content: bytes) -> None:
    f = create_raw(client, file=(filename, content), purpose=purpose)
    assert_file_object(f, filename=filename, purpose=purpose, size=len(content))
    if purpose == "batch":
        assert f["expires_at"] == f["created_at"] + THIRTY_DAYS, "batch files expire after 30 days by default"
    else:
        assert f["expires_at"] is None, f"purpose {purpose} never expires unless asked"
    again = client.files.with_raw_response.retrieve(f["id"]).http_response.json()
    assert again == f
    if purpose in NOT_DOWNLOADABLE:
        with pytest.raises(openai.BadRequestError) as e:
            client.files.content(f["id"])
        assert_error(e.value, 400, message=f"Not allowed to download files of purpose: {purpose}", param=None, code=None)
    else:
        assert client.files.content(f["id"]).read() == content


def test_created_ids_are_unique(client: openai.OpenAI) -> None:
    ids = {client.files.create(file=("x.txt", b"x"), purpose="user_data").id for _ in range(20)}
    assert len(ids) == 20


def test_batch_expires_after_one_hour_when_asked(client: openai.OpenAI) -> None:
    f = create_raw(client, file=("hour.jsonl", jsonl(BATCH_LINE)), purpose="batch", expires_after={"anchor": "created_at", "seconds": 3600})
    assert f["expires_at"] == f["created_at"] + 3600


@pytest.mark.parametrize("seconds", [3600, 86400, THIRTY_DAYS])
def test_expires_after_applies_to_any_purpose(client: openai.OpenAI, seconds: int) -> None:
    f = create_raw(client, file=("keep.txt", b"k"), purpose="user_data", expires_after={"anchor": "created_at", "seconds": seconds})
    assert f["expires_at"] == f["created_at"] + seconds


@pytest.mark.parametrize("seconds", [3599, THIRTY_DAYS + 1, 0, -1])
def test_expires_after_seconds_out_of_range_is_rejected(client: openai.OpenAI, seconds: int) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        client.files.create(file=("x.jsonl", jsonl(BATCH_LINE)), purpose="batch", expires_after={"anchor": "created_at", "seconds": seconds})
    assert_error(e.value, 400, param="expires_after[seconds]")


def test_expires_after_unknown_anchor_is_rejected(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        client.files.create(file=("x.txt", b"x"), purpose="user_data", expires_after={"anchor": "last_active_at", "seconds": 3600})  # type: ignore[typeddict-item]
    assert_error(e.value, 400, param="expires_after[anchor]")


def test_unknown_purpose_is_rejected(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        client.files.create(file=("x.txt", b"x"), purpose="nonsense")  # type: ignore[arg-type]
    assert_error(e.value, 400, param="purpose", code=None, message=f"'nonsense' is not one of {CREATE_PURPOSES} - 'purpose'")


@pytest.mark.parametrize("purpose", ["assistants_output", "batch_output", "fine-tune-results"])
def test_output_purposes_cannot_be_created(client: openai.OpenAI, purpose: str) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        client.files.create(file=("x.jsonl", jsonl({"a": 1})), purpose=purpose)  # type: ignore[arg-type]
    assert_error(e.value, 400, param="purpose", code=None, message=f"'{purpose}' is not one of {CREATE_PURPOSES} - 'purpose'")


def test_missing_purpose_is_rejected(raw: httpx2.Client) -> None:
    r = raw.post("/v1/files", files={"file": ("x.txt", b"x")})
    assert_error(r, 400, param=None, code=None, message="'purpose' is a required property")


def test_missing_file_is_rejected(raw: httpx2.Client) -> None:
    r = raw.post("/v1/files", files={"purpose": (None, "user_data")})  # multipart with no file part
    assert_error(r, 400, param=None, code=None, message="'file' is a required property")


def test_missing_file_is_named_before_missing_purpose(raw: httpx2.Client) -> None:
    """Neither `file` nor `purpose`: the real service's schema check names `file` first."""
    r = raw.post("/v1/files", files={"expires_after[anchor]": (None, "created_at"), "expires_after[seconds]": (None, "3600")})
    assert_error(r, 400, param=None, code=None, message="'file' is a required property")


def test_unknown_form_field_is_rejected_by_name(raw: httpx2.Client) -> None:
    r = raw.post("/v1/files", files={"purpose": (None, "user_data"), "colour": (None, "blue"), "file": ("x.txt", b"x")})
    assert_error(r, 400, param=None, code=None, message="Additional properties are not allowed ('colour' was unexpected)")


def test_non_multipart_body_is_rejected(raw: httpx2.Client) -> None:
    r = raw.post("/v1/files", json={"purpose": "user_data", "file": "x"})
    assert_error(r, 400)


def test_fine_tune_with_a_non_json_line_names_the_line(client: openai.OpenAI) -> None:
    content = jsonl(CHAT_LINE, CHAT_LINE) + b"this is not json\n" + jsonl(CHAT_LINE)
    with pytest.raises(openai.BadRequestError) as e:
        client.files.create(file=("train.jsonl", content), purpose="fine-tune")
    assert_error(e.value, 400, param=None, code=None, message=not_a_dictionary(3, "this"))


def test_fine_tune_lines_must_be_json_objects(client: openai.OpenAI) -> None:
    content = jsonl(CHAT_LINE) + b"[1, 2, 3]\n"
    with pytest.raises(openai.BadRequestError) as e:
        client.files.create(file=("train.jsonl", content), purpose="fine-tune")
    assert_error(e.value, 400, param=None, code=None, message=not_a_dictionary(2, "[1, "))


def not_a_dictionary(line: int, start: str) -> str:
    """The real service's message for a fine-tune line that is not a JSON object."""
    return (
        "Expected file to have JSONL format, where every line is a JSON dictionary. "
        f'Line {line} is not a dictionary (HINT: line starts with: "{start}...").'
    )


@pytest.mark.parametrize("purpose", ["batch", "fine-tune"])
def test_jsonl_purposes_need_a_jsonl_filename(client: openai.OpenAI, purpose: str) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        client.files.create(file=("requests.txt", jsonl(BATCH_LINE if purpose == "batch" else CHAT_LINE)), purpose=purpose)  # type: ignore[arg-type]
    api = "Batch API" if purpose == "batch" else "Fine-Tuning API"
    assert_error(e.value, 400, param=None, code=None, message=f"Invalid file format for {api}. Must be .jsonl")


def test_filename_is_kept_verbatim(client: openai.OpenAI) -> None:
    name = "résumé 2024 (final) – copy.txt"
    f = client.files.create(file=(name, b"cv"), purpose="user_data")
    assert f.filename == name
    assert client.files.retrieve(f.id).filename == name


def test_filename_never_names_a_path_on_disk(client: openai.OpenAI, server: Server) -> None:
    f = client.files.create(file=("../../escape-attempt.txt", b"nope"), purpose="vision")  # vision: downloadable by default
    assert client.files.content(f.id).read() == b"nope"
    around = server.data_dir.parents[1]  # the session's temp root: ../../ from anywhere in the data dir
    named = [p for p in around.rglob("*") if "escape-attempt" in p.name]
    assert not named, f"the client's filename named a path on disk: {named}"
