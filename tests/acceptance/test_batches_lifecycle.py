"""A batch's life on the mock clock (issue 33): validating → in_progress → finalizing → completed, each
stage as long as `--batch-timings` says, `POST /admin/clock` moving through them at once; validation
errors of the lines failing the batch; the 24-hour window expiring it (docs/batches-evidence.md, 1, 6)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx2
import openai
import pytest
from mockfiles_kit import Server

from helpers import BatchRig, assert_batch_object, chat_line, jsonl_lines, parse_result_file

STEPPED = "validating=1s,line=2s,finalizing=1s,cancelling=1s"


@pytest.fixture
def make_rig(start_test_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client]) -> Callable[..., BatchRig]:
    def make(*args: str, timings: str = STEPPED) -> BatchRig:
        return BatchRig.start(start_test_server, make_client, make_raw, *args, timings=timings)

    return make


def counts(b: dict[str, Any]) -> tuple[int, int, int]:
    c = b["request_counts"]
    return c["total"], c["completed"], c["failed"]


def set_keys(b: dict[str, Any]) -> set[str]:
    """The time keys and files that are not null."""
    keys = ["model", "errors", "output_file_id", "error_file_id", "in_progress_at", "finalizing_at", "completed_at", "failed_at", "expired_at", "cancelling_at", "cancelled_at"]
    return {k for k in keys if b[k] is not None}


# ---------------------------------------------------------------- the stages


def test_each_stage_lasts_as_the_timings_say(make_rig: Callable[..., BatchRig]) -> None:
    rig = make_rig()
    t0 = rig.freeze()
    batch = rig.create(chat_line("a"), chat_line("b"), chat_line("c"))
    b = rig.wire(batch.id)
    assert (b["status"], b["created_at"], b["expires_at"], counts(b), set_keys(b)) == ("validating", t0, t0 + 86400, (0, 0, 0), set())

    rig.admin.set_clock(now=t0 + 0.5, frozen=True)
    assert rig.wire(batch.id)["status"] == "validating"
    rig.admin.set_clock(now=t0 + 1, frozen=True)  # validated
    b = rig.wire(batch.id)
    assert b["status"] == "in_progress", b
    assert b["in_progress_at"] == t0 + 1
    assert b["model"] == "gpt-4o-mini-2024-07-18", "the dated model of the first line"
    assert counts(b) == (3, 0, 0)
    assert set_keys(b) == {"model", "in_progress_at"}

    seen = []
    for _ in range(3):  # one line every 2 s
        rig.advance(2)
        b = rig.wire(batch.id)
        seen.append((b["status"], counts(b)))
    assert seen == [("in_progress", (3, 1, 0)), ("in_progress", (3, 2, 0)), ("finalizing", (3, 3, 0))], seen
    assert b["finalizing_at"] == t0 + 7 and set_keys(b) == {"model", "in_progress_at", "finalizing_at"}, b
    assert b["output_file_id"] is None, "files appear when the batch completes"

    rig.advance(1)
    b = rig.wire(batch.id)
    assert b["status"] == "completed", b
    assert (b["in_progress_at"], b["finalizing_at"], b["completed_at"]) == (t0 + 1, t0 + 7, t0 + 8)
    assert set_keys(b) == {"model", "in_progress_at", "finalizing_at", "completed_at", "output_file_id"}
    assert counts(b) == (3, 3, 0) and b["expires_at"] == t0 + 86400
    u = b["usage"]
    assert u["input_tokens"] > 0 and u["output_tokens"] > 0 and u["total_tokens"] == u["input_tokens"] + u["output_tokens"], u
    assert len(parse_result_file(rig.content(b["output_file_id"]))) == 3

    rig.advance(86400 * 3)
    assert rig.wire(batch.id) == b, "a completed batch stays as it is, past its window too"


def test_one_clock_move_completes_a_batch(make_rig: Callable[..., BatchRig]) -> None:
    rig = make_rig(timings="validating=1s,line=10ms,finalizing=1s,cancelling=1s")
    t0 = rig.freeze()
    batch = rig.create(*(chat_line(f"r{i}") for i in range(50)))
    rig.advance(60)
    done = rig.client.batches.retrieve(batch.id)
    assert done.status == "completed"
    assert (done.in_progress_at, done.finalizing_at, done.completed_at) == (t0 + 1, t0 + 1, t0 + 2), "50 lines × 10 ms = 0.5 s"
    assert done.request_counts is not None and (done.request_counts.total, done.request_counts.completed, done.request_counts.failed) == (50, 50, 0)
    assert done.output_file_id and done.error_file_id is None
    assert done.usage is not None and done.usage.total_tokens > 0


def test_poll_until_done_on_the_running_clock(make_rig: Callable[..., BatchRig]) -> None:
    """The short timings: a client that polls sees the stages in order and is done in seconds."""
    rig = make_rig(timings="validating=1s,line=10ms,finalizing=1s,cancelling=1s")
    batch = rig.create(chat_line("a"), chat_line("b"))
    order = ["validating", "in_progress", "finalizing", "completed"]
    seen = [batch.status]
    deadline = time.monotonic() + 20
    while seen[-1] != "completed" and time.monotonic() < deadline:
        time.sleep(0.1)
        status = rig.client.batches.retrieve(batch.id).status
        if status != seen[-1]:
            seen.append(status)
    assert seen[-1] == "completed", f"not done after 20 s: {seen}"
    assert seen == sorted(seen, key=order.index) and seen[0] == "validating", seen
    done = rig.client.batches.retrieve(batch.id)
    assert done.output_file_id is not None
    assert [line["custom_id"] for line in parse_result_file(rig.content(done.output_file_id))] == ["a", "b"]


def test_the_model_is_the_dated_model_of_the_first_line(make_rig: Callable[..., BatchRig]) -> None:
    rig = make_rig()
    rig.freeze()
    batch = rig.create({"custom_id": "e", "method": "POST", "url": "/v1/embeddings", "body": {"model": "text-embedding-3-small", "input": "x"}}, endpoint="/v1/embeddings")
    assert rig.client.batches.retrieve(batch.id).model is None
    rig.advance(1)
    model = rig.client.batches.retrieve(batch.id).model
    assert isinstance(model, str) and model.startswith("text-embedding-3-small"), model


# ---------------------------------------------------------------- validation failures


def raw_line(custom_id: str, *, url: str = "/v1/chat/completions", method: str = "POST", **body: Any) -> dict[str, Any]:
    return {"custom_id": custom_id, "method": method, "url": url, "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], **body}}


FAILING = [
    # (id, lines, code, param, line, exact message or None)
    ("invalid-json", [chat_line("a"), "{not json"], "invalid_json_line", None, 2, "This line is not parseable as valid JSON."),
    ("not-an-object", [chat_line("a"), "[1, 2]"], "invalid_json_line", None, 2, "This line is not parseable as valid JSON."),
    ("missing-custom-id", [{"method": "POST", "url": "/v1/chat/completions", "body": chat_line("x")["body"]}], "missing_required_parameter", "custom_id", 1, "Missing required parameter: 'custom_id'."),
    ("url-mismatch", [chat_line("a"), raw_line("b", url="/v1/embeddings")], "url_mismatch", "url", 2, None),
    ("duplicate-custom-id", [chat_line("a"), chat_line("b"), chat_line("a")], "duplicate_custom_id", "custom_id", 3, None),
    ("model-mismatch", [chat_line("a"), chat_line("b", model="gpt-4o")], "model_mismatch", "body.model", 2, None),
    ("streaming", [chat_line("a", stream=True)], "streaming_unsupported", "body.stream", 1, None),
    ("method-get", [chat_line("a"), raw_line("b", method="GET")], "invalid_value", "method", 2, None),
]


@pytest.fixture(scope="module")
def failing_rig(start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client]) -> BatchRig:
    return BatchRig.start(start_server, make_client, make_raw, timings=STEPPED)


def assert_failed_with(rig: BatchRig, batch_id: str, code: str, param: str | None, line: int | None, message: str | None) -> None:
    b = rig.wire(batch_id)
    assert b["status"] == "validating" and b["errors"] is None, "errors do not show before validation ends"
    rig.advance(1)
    b = rig.wire(batch_id)
    assert_batch_object(b, status="failed")
    assert b["failed_at"] == b["created_at"] + 1, "validation takes 1 s"
    assert set_keys(b) - {"model"} == {"errors", "failed_at"}, b
    assert counts(b) == (0, 0, 0)
    (item,) = b["errors"]["data"]
    assert (item["code"], item["param"], item["line"]) == (code, param, line), item
    assert isinstance(item["message"], str) and item["message"], item
    if message is not None:
        assert item["message"] == message, item
    rig.advance(3600)
    assert rig.wire(batch_id) == b, "a failed batch makes no files and stays failed"


@pytest.mark.parametrize(("lines", "code", "param", "line", "message"), [c[1:] for c in FAILING], ids=[c[0] for c in FAILING])
def test_a_bad_line_fails_the_batch(failing_rig: BatchRig, lines: list[Any], code: str, param: str | None, line: int, message: str | None) -> None:
    failing_rig.freeze()
    made = failing_rig.client.batches.create(input_file_id=failing_rig.upload(*lines), endpoint="/v1/chat/completions", completion_window="24h")
    assert made.status == "validating", "line errors never fail the create call"
    assert_failed_with(failing_rig, made.id, code, param, line, message)


def test_an_input_without_requests_fails_with_empty_file(failing_rig: BatchRig) -> None:
    """Blank lines only: refused by POST /v1/files, so it comes through the Uploads API (which does not look)."""
    c = failing_rig.client
    failing_rig.freeze()
    content = b"\n  \n\r\n"
    upload = c.uploads.create(bytes=len(content), filename="requests.jsonl", mime_type="text/jsonl", purpose="batch")
    part = c.uploads.parts.create(upload_id=upload.id, data=content)
    done = c.uploads.complete(upload_id=upload.id, part_ids=[part.id])
    assert done.file is not None
    made = c.batches.create(input_file_id=done.file.id, endpoint="/v1/chat/completions", completion_window="24h")
    assert_failed_with(failing_rig, made.id, "empty_file", None, None, None)


def test_line_numbers_count_blank_lines(failing_rig: BatchRig) -> None:
    failing_rig.freeze()
    content = jsonl_lines(chat_line("a")) + b"\n\n" + jsonl_lines(chat_line("a"))
    made = failing_rig.client.batches.create(input_file_id=failing_rig.upload(content=content), endpoint="/v1/chat/completions", completion_window="24h")
    assert_failed_with(failing_rig, made.id, "duplicate_custom_id", "custom_id", 4, None)


def test_every_bad_line_is_reported_in_order(failing_rig: BatchRig) -> None:
    failing_rig.freeze()
    lines = [chat_line("a"), "oops", chat_line("b", stream=True), chat_line("a")]
    made = failing_rig.client.batches.create(input_file_id=failing_rig.upload(*lines), endpoint="/v1/chat/completions", completion_window="24h")
    failing_rig.advance(1)
    b = failing_rig.wire(made.id)
    assert b["status"] == "failed"
    assert [(e["code"], e["line"]) for e in b["errors"]["data"]] == [("invalid_json_line", 2), ("streaming_unsupported", 3), ("duplicate_custom_id", 4)]


# ---------------------------------------------------------------- the 24-hour window


def test_a_batch_past_its_window_expires_keeping_the_lines_that_ran(make_rig: Callable[..., BatchRig]) -> None:
    """10 lines of 10,000 s each cannot finish in 24 h: at expires_at the batch finalizes, then expires;
    the 8 lines that ran are in the output file, the 2 others in the error file as `batch_expired`."""
    rig = make_rig(timings="validating=1s,line=10000s,finalizing=1s,cancelling=1s")
    t0 = rig.freeze()
    batch = rig.create(*(chat_line(f"r{i}") for i in range(10)))
    rig.advance(86399)
    b = rig.wire(batch.id)
    assert (b["status"], counts(b)) == ("in_progress", (10, 8, 0)), b
    rig.advance(1)
    b = rig.wire(batch.id)
    assert (b["status"], b["finalizing_at"], b["expired_at"]) == ("finalizing", t0 + 86400, None), b
    rig.advance(1)
    b = rig.wire(batch.id)
    assert (b["status"], b["finalizing_at"], b["expired_at"], b["completed_at"]) == ("expired", t0 + 86400, t0 + 86401, None), b
    assert counts(b) == (10, 8, 0), "lines never run are not counted as failed"
    assert b["output_file_id"] and b["error_file_id"], b
    out = parse_result_file(rig.content(b["output_file_id"]))
    assert [x["custom_id"] for x in out] == [f"r{i}" for i in range(8)]
    assert all(x["response"]["status_code"] == 200 and x["error"] is None for x in out)
    err = parse_result_file(rig.content(b["error_file_id"]))
    assert [x["custom_id"] for x in err] == ["r8", "r9"]
    for x in err:
        assert x["response"] is None and list(x["error"]) == ["code", "message"], x
        assert x["error"]["code"] == "batch_expired" and isinstance(x["error"]["message"], str) and x["error"]["message"], x
    with pytest.raises(openai.ConflictError):
        rig.client.batches.cancel(batch.id)
