"""POST /v1/batches and GET /v1/batches/{id} (issue 33): the Batch object as the service writes it, and
every synchronous refusal of a create with its exact text (docs/batches-evidence.md, sections 1, 2, 5)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx2
import openai
import pytest
from mockfiles_kit import Server

from helpers import BATCH_ORDER, BatchRig, assert_batch_object, assert_error, batch_layout, chat_line, jsonl_lines

# Validation takes an hour here: every batch of this module stays `validating` while it is looked at.
SLOW_VALIDATION = "validating=3600s,line=10ms,finalizing=1s,cancelling=1s"
ENDPOINTS = "'/v1/responses', '/v1/chat/completions', '/v1/embeddings', '/v1/completions', '/v1/moderations', '/v1/images/generations', '/v1/images/edits', and '/v1/videos'"
NO_SUCH_FILE = "file-1111111111111111111111"


@pytest.fixture(scope="module")
def rig(start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client]) -> BatchRig:
    return BatchRig.start(start_server, make_client, make_raw, timings=SLOW_VALIDATION)


@pytest.fixture(scope="module")
def input_id(rig: BatchRig) -> str:
    return rig.upload(chat_line("r1"), chat_line("r2"))


@pytest.fixture(scope="module")
def http(rig: BatchRig, make_raw: Callable[..., httpx2.Client]) -> httpx2.Client:
    return make_raw(rig.server)


def valid_body(input_id: str, **changes: Any) -> dict[str, Any]:
    return {"input_file_id": input_id, "endpoint": "/v1/chat/completions", "completion_window": "24h", **changes}


def batch_ids(rig: BatchRig) -> list[str]:
    return [b.id for b in rig.client.batches.list(limit=100)]


# ---------------------------------------------------------------- the Batch object


def test_create_answers_a_validating_batch_in_the_recorded_layout(rig: BatchRig, input_id: str) -> None:
    answer = rig.client.batches.with_raw_response.create(
        input_file_id=input_id, endpoint="/v1/chat/completions", completion_window="24h", metadata={"zeta": "last key first", "alpha": "1"}
    )
    r = answer.http_response
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert int(r.headers["content-length"]) == len(r.content)
    assert "access-control-allow-origin" not in r.headers, "no recorded batch answer carries CORS headers (evidence, section 2)"
    b = batch_layout(r.content)
    assert_batch_object(b, status="validating")
    assert abs(b["created_at"] - time.time()) < 60, b
    want = {
        "id": b["id"],
        "object": "batch",
        "endpoint": "/v1/chat/completions",
        "model": None,
        "errors": None,
        "input_file_id": input_id,
        "completion_window": "24h",
        "status": "validating",
        "output_file_id": None,
        "error_file_id": None,
        "created_at": b["created_at"],
        "in_progress_at": None,
        "expires_at": b["created_at"] + 86400,
        "finalizing_at": None,
        "completed_at": None,
        "failed_at": None,
        "expired_at": None,
        "cancelling_at": None,
        "cancelled_at": None,
        "request_counts": {"total": 0, "completed": 0, "failed": 0},
        "usage": {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0, "input_tokens_details": {"cached_tokens": 0}, "output_tokens_details": {"reasoning_tokens": 0}},
        "metadata": {"zeta": "last key first", "alpha": "1"},
    }
    assert r.content == json.dumps(want, indent=2).encode(), "byte for byte, metadata in the order sent"
    parsed = answer.parse()
    assert (parsed.id, parsed.status, parsed.input_file_id) == (b["id"], "validating", input_id)


def test_batch_id_carries_its_creation_second(rig: BatchRig, input_id: str) -> None:
    """mockfiles' choice from the recorded ids (evidence, section 1): the first 8 hex are created_at, hex 13-16 `8190`."""
    b = rig.client.batches.create(input_file_id=input_id, endpoint="/v1/chat/completions", completion_window="24h")
    hex_part = b.id.removeprefix("batch_")
    assert int(hex_part[:8], 16) == b.created_at, b.id
    assert hex_part[12:16] == "8190", b.id


def test_ids_are_unique(rig: BatchRig, input_id: str) -> None:
    ids = {rig.client.batches.create(input_file_id=input_id, endpoint="/v1/chat/completions", completion_window="24h").id for _ in range(10)}
    assert len(ids) == 10


def test_retrieve_answers_the_same_batch_in_the_same_layout(rig: BatchRig, input_id: str) -> None:
    made = rig.client.batches.with_raw_response.create(input_file_id=input_id, endpoint="/v1/embeddings", completion_window="24h").http_response
    created = batch_layout(made.content)
    r = rig.client.batches.with_raw_response.retrieve(created["id"]).http_response
    assert r.status_code == 200 and int(r.headers["content-length"]) == len(r.content)
    assert batch_layout(r.content) == created and r.content == made.content, "nothing changes while validating"
    assert rig.client.batches.retrieve(created["id"]).endpoint == "/v1/embeddings"


@pytest.mark.parametrize("endpoint", ["/v1/responses", "/v1/chat/completions", "/v1/embeddings", "/v1/completions", "/v1/moderations", "/v1/images/generations", "/v1/images/edits", "/v1/videos"])
def test_every_supported_endpoint_is_accepted(rig: BatchRig, input_id: str, endpoint: str) -> None:
    b = rig.client.batches.create(input_file_id=input_id, endpoint=endpoint, completion_window="24h")  # type: ignore[arg-type]
    assert (b.endpoint, b.status) == (endpoint, "validating")


def test_output_expires_after_is_taken_and_not_echoed(rig: BatchRig, input_id: str) -> None:
    r = rig.client.batches.with_raw_response.create(
        input_file_id=input_id, endpoint="/v1/chat/completions", completion_window="24h", output_expires_after={"anchor": "created_at", "seconds": 3600}
    ).http_response
    assert r.status_code == 200
    assert list(batch_layout(r.content)) == BATCH_ORDER


def test_metadata_at_its_limits_is_echoed(rig: BatchRig, input_id: str) -> None:
    metadata = {f"k{i:02d}": f"v{i}" for i in range(15)} | {"x" * 64: "y" * 512}
    b = rig.client.batches.with_raw_response.create(input_file_id=input_id, endpoint="/v1/chat/completions", completion_window="24h", metadata=metadata)
    echoed = batch_layout(b.http_response.content)["metadata"]
    assert echoed == metadata and list(echoed) == list(metadata)


# ---------------------------------------------------------------- synchronous refusals


@pytest.mark.parametrize(
    ("drop", "named"),
    [(("input_file_id", "endpoint", "completion_window"), "input_file_id"), (("endpoint", "completion_window"), "endpoint"), (("completion_window",), "completion_window"), (("input_file_id",), "input_file_id"), (("endpoint",), "endpoint")],
    ids=["nothing", "input-only", "no-window", "no-input", "no-endpoint"],
)
def test_missing_parameters_are_named_in_order(rig: BatchRig, http: httpx2.Client, input_id: str, drop: tuple[str, ...], named: str) -> None:
    before = batch_ids(rig)
    body = {k: v for k, v in valid_body(input_id).items() if k not in drop}
    r = http.post("/v1/batches", json=body)
    assert_error(r, 400, message=f"Missing required parameter: '{named}'.", param=named, code="missing_required_parameter")
    assert batch_ids(rig) == before, "nothing made"


@pytest.mark.parametrize("endpoint", ["/v1/foo", "/v1/files", "v1/chat/completions"])
def test_unsupported_endpoint_is_refused(rig: BatchRig, input_id: str, endpoint: str) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        rig.client.batches.create(input_file_id=input_id, endpoint=endpoint, completion_window="24h")  # type: ignore[arg-type]
    assert_error(e.value, 400, message=f"Invalid value: '{endpoint}'. Supported values are: {ENDPOINTS}.", param="endpoint", code="invalid_value")


@pytest.mark.parametrize("window", ["48h", "1h", "24H"])
def test_unsupported_completion_window_is_refused(rig: BatchRig, input_id: str, window: str) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        rig.client.batches.create(input_file_id=input_id, endpoint="/v1/chat/completions", completion_window=window)  # type: ignore[arg-type]
    assert_error(e.value, 400, message=f"Invalid value: '{window}'. Supported values are: '24h'.", param="completion_window", code="invalid_value")


def test_unknown_argument_is_refused(rig: BatchRig, http: httpx2.Client, input_id: str) -> None:
    before = batch_ids(rig)
    r = http.post("/v1/batches", json=valid_body(input_id, foo=1))
    assert_error(r, 400, message="Unrecognized request argument supplied: foo", param="foo")
    with pytest.raises(openai.BadRequestError) as e:
        rig.client.batches.create(input_file_id=input_id, endpoint="/v1/chat/completions", completion_window="24h", extra_body={"priority": "high"})
    assert_error(e.value, 400, message="Unrecognized request argument supplied: priority", param="priority")
    assert batch_ids(rig) == before


def test_input_file_that_does_not_exist_is_refused(rig: BatchRig) -> None:
    before = batch_ids(rig)
    with pytest.raises(openai.BadRequestError) as e:
        rig.client.batches.create(input_file_id=NO_SUCH_FILE, endpoint="/v1/chat/completions", completion_window="24h")
    assert_error(e.value, 400, message=f"Cannot find file {NO_SUCH_FILE}, or project proj_mockfiles does not have access to it.", param="input_file_id", code=None)
    assert batch_ids(rig) == before


def test_deleted_input_file_is_refused(rig: BatchRig) -> None:
    gone = rig.upload(chat_line("r1"))
    rig.client.files.delete(gone)
    with pytest.raises(openai.BadRequestError) as e:
        rig.client.batches.create(input_file_id=gone, endpoint="/v1/chat/completions", completion_window="24h")
    assert_error(e.value, 400, message=f"Cannot find file {gone}, or project proj_mockfiles does not have access to it.", param="input_file_id", code=None)


@pytest.mark.parametrize("purpose", ["assistants", "user_data"])
def test_input_file_of_another_purpose_is_refused(rig: BatchRig, purpose: str) -> None:
    f = rig.client.files.create(file=("requests.jsonl", jsonl_lines(chat_line("r1"))), purpose=purpose)  # type: ignore[arg-type]
    before = batch_ids(rig)
    with pytest.raises(openai.BadRequestError) as e:
        rig.client.batches.create(input_file_id=f.id, endpoint="/v1/chat/completions", completion_window="24h")
    assert_error(
        e.value,
        400,
        message=f"Invalid file purpose: the input file of a batch must have purpose 'batch', but {f.id} has purpose '{purpose}'.",
        param="input_file_id",
        code="invalid_value",
    )
    assert batch_ids(rig) == before


@pytest.mark.parametrize(
    "metadata",
    [{f"k{i}": "v" for i in range(17)}, {"k" * 65: "v"}, {"k": "v" * 513}, {"k": 1}, {"k": True}, {"k": None}, {"k": ["v"]}],
    ids=["17-pairs", "key-65", "value-513", "int-value", "bool-value", "null-value", "list-value"],
)
def test_metadata_over_its_limits_is_refused(rig: BatchRig, http: httpx2.Client, input_id: str, metadata: Any) -> None:
    before = batch_ids(rig)
    r = http.post("/v1/batches", json=valid_body(input_id, metadata=metadata))
    error = assert_error(r, 400)
    assert isinstance(error["param"], str) and error["param"].startswith("metadata"), error
    assert batch_ids(rig) == before


def test_metadata_null_is_taken(rig: BatchRig, http: httpx2.Client, input_id: str) -> None:
    """`metadata` is nullable in the service's description (GO): null is no metadata, not a refusal."""
    r = http.post("/v1/batches", json=valid_body(input_id, metadata=None))
    assert r.status_code == 200, r.text
    assert batch_layout(r.content)["metadata"] in (None, {})


# ---------------------------------------------------------------- unknown batches


def test_unknown_batch_is_404(rig: BatchRig, http: httpx2.Client) -> None:
    with pytest.raises(openai.NotFoundError) as e:
        rig.client.batches.retrieve("batch_unknown")
    assert_error(e.value, 404, message="No batch found with id 'batch_unknown'.", param=None, code=None)
    with pytest.raises(openai.NotFoundError) as e:
        rig.client.batches.cancel("batch_unknown")
    assert_error(e.value, 404, message="No batch found with id 'batch_unknown'.", param=None, code=None)
    well_formed = "batch_" + "0" * 32
    assert_error(http.get(f"/v1/batches/{well_formed}"), 404, message=f"No batch found with id '{well_formed}'.", param=None, code=None)


@pytest.mark.parametrize("body", [b"{not json", b"[]", b"", b'"24h"'], ids=["broken", "a-list", "empty", "a-string"])
def test_a_body_that_is_not_a_json_object_is_refused(rig: BatchRig, http: httpx2.Client, body: bytes) -> None:
    before = batch_ids(rig)
    assert_error(http.post("/v1/batches", content=body, headers={"content-type": "application/json"}), 400)
    assert batch_ids(rig) == before


@pytest.mark.parametrize("field", ["input_file_id", "endpoint", "completion_window"])
def test_a_field_of_the_wrong_type_is_refused_naming_it(rig: BatchRig, http: httpx2.Client, input_id: str, field: str) -> None:
    r = http.post("/v1/batches", json=valid_body(input_id, **{field: 24}))
    assert_error(r, 400, param=field)
