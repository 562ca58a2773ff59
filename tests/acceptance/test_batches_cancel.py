"""POST /v1/batches/{id}/cancel in each state (issue 33): `cancelling` at once in the compact layout,
`cancelled` after the cancelling time; lines that ran are kept, the rest go to the error file as
`batch_cancelled`; a finished batch answers 409 (docs/batches-evidence.md, section 4)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2
import openai
import pytest
from mockfiles_kit import Server

from helpers import BatchRig, assert_batch_object, assert_error, batch_layout, chat_line, compact_layout, parse_result_file

# A line takes 10 s here, so a batch can be caught part way through.
TIMINGS = "validating=1s,line=10s,finalizing=1s,cancelling=1s"


@pytest.fixture
def rig(start_test_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client]) -> BatchRig:
    return BatchRig.start(start_test_server, make_client, make_raw, timings=TIMINGS)


def cancel_raw(rig: BatchRig, batch_id: str) -> dict[str, Any]:
    """The cancel as sent by the SDK (empty body), answer checked: 200, compact, a Batch object."""
    r = rig.client.batches.with_raw_response.cancel(batch_id).http_response
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json" and int(r.headers["content-length"]) == len(r.content)
    b = compact_layout(r.content)
    assert_batch_object(b)
    return b


def counts(b: dict[str, Any]) -> tuple[int, int, int]:
    c = b["request_counts"]
    return c["total"], c["completed"], c["failed"]


def test_cancel_while_validating(rig: BatchRig) -> None:
    t0 = rig.freeze()
    batch = rig.create(chat_line("a"), chat_line("b"))
    b = cancel_raw(rig, batch.id)
    assert (b["status"], b["cancelling_at"], b["cancelled_at"], b["in_progress_at"], b["model"]) == ("cancelling", t0, None, None, None), b
    assert rig.wire(batch.id) == b, "retrieve shows the same batch (in its own layout)"

    rig.advance(1)
    b = rig.wire(batch.id)
    assert (b["status"], b["cancelling_at"], b["cancelled_at"]) == ("cancelled", t0, t0 + 1), b
    assert (b["in_progress_at"], b["model"], b["output_file_id"], b["error_file_id"], b["finalizing_at"]) == (None, None, None, None, None), b
    assert counts(b) == (0, 0, 0)
    assert cancel_raw(rig, batch.id) == b, "a cancel of a cancelled batch answers it unchanged"
    rig.advance(86400 * 2)
    assert rig.wire(batch.id) == b, "it never runs"
    assert rig.client.files.list(purpose="batch_output").data == []


def test_cancel_while_in_progress_keeps_the_lines_that_ran(rig: BatchRig) -> None:
    t0 = rig.freeze()
    batch = rig.create(*(chat_line(f"r{i}") for i in range(5)))
    rig.advance(1 + 25)  # lines 1 and 2 done (at +11, +21), line 3 running
    assert counts(rig.wire(batch.id)) == (5, 2, 0)
    b = cancel_raw(rig, batch.id)
    assert (b["status"], b["in_progress_at"], b["cancelling_at"], b["cancelled_at"]) == ("cancelling", t0 + 1, t0 + 26, None), b
    assert b["model"] == "gpt-4o-mini-2024-07-18"

    rig.advance(30)  # long enough for line 3 had it not been cancelled
    b = rig.wire(batch.id)
    assert (b["status"], b["cancelling_at"], b["cancelled_at"], b["finalizing_at"], b["completed_at"]) == ("cancelled", t0 + 26, t0 + 27, None, None), b
    assert counts(b) == (5, 2, 0), "lines never run are not counted as failed"
    assert b["output_file_id"] and b["error_file_id"], b

    out = parse_result_file(rig.content(b["output_file_id"]))
    assert [x["custom_id"] for x in out] == ["r0", "r1"]
    assert all(x["response"]["status_code"] == 200 and x["error"] is None for x in out)
    err = parse_result_file(rig.content(b["error_file_id"]))
    assert [x["custom_id"] for x in err] == ["r2", "r3", "r4"]
    for x in err:
        assert x["response"] is None and list(x["error"]) == ["code", "message"], x
        assert x["error"]["code"] == "batch_cancelled" and isinstance(x["error"]["message"], str) and x["error"]["message"], x
    files = {f.id: f for f in rig.client.files.list(purpose="batch_output")}
    assert set(files) == {b["output_file_id"], b["error_file_id"]}
    assert files[b["output_file_id"]].filename == f"{batch.id}_output.jsonl" and files[b["error_file_id"]].filename == f"{batch.id}_error.jsonl"


def test_a_second_cancel_answers_the_batch_unchanged(rig: BatchRig) -> None:
    rig.freeze()
    batch = rig.create(chat_line("a"))
    first = cancel_raw(rig, batch.id)
    again = cancel_raw(rig, batch.id)
    assert again == first and again["status"] == "cancelling"


@pytest.mark.parametrize("status", ["completed", "failed", "expired"])
def test_a_finished_batch_cannot_be_cancelled(start_test_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client], status: str) -> None:
    timings = "validating=1s,line=10000s,finalizing=1s,cancelling=1s" if status == "expired" else TIMINGS
    rig = BatchRig.start(start_test_server, make_client, make_raw, timings=timings)
    rig.freeze()
    lines = [chat_line("a"), "not json"] if status == "failed" else [chat_line(f"r{i}") for i in range(10)]
    batch = rig.create(*lines)
    rig.advance(86400 * 2)
    before = rig.wire(batch.id)
    assert before["status"] == status, before
    with pytest.raises(openai.ConflictError) as e:
        rig.client.batches.cancel(batch.id)
    assert_error(e.value, 409, message=f"Cannot cancel a batch with status '{status}'.", type="invalid_request_error", param=None, code=None)
    assert rig.wire(batch.id) == before, "a refused cancel changes nothing"


def test_cancel_with_a_raw_empty_post(rig: BatchRig, make_raw: Callable[..., httpx2.Client]) -> None:
    """As the recordings send it: POST with Content-Length 0."""
    rig.freeze()
    batch = rig.create(chat_line("a"))
    r = make_raw(rig.server).post(f"/v1/batches/{batch.id}/cancel", content=b"")
    assert r.status_code == 200, r.text
    assert compact_layout(r.content)["status"] == "cancelling"
    listed = make_raw(rig.server).get("/v1/batches")
    assert batch_layout(listed.content)["data"][0]["status"] == "cancelling"
