"""Batches on two instances sharing one PostgreSQL database and one S3 bucket (issue 33): a batch is a
function of its row and the shared clock, so either instance answers it the same at once, and its result
files are made once whichever instance first sees it due, even when one is killed while making them.

Every step names the instance it goes to (A or B; `shared_pair.start_pair`). It runs in scripts/test's
shared-mode pass (MOCKFILES_ACCEPTANCE_SHARED=1, with PostgreSQL and S3 started) and is skipped in the
ordinary one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from mockfiles_kit import Server
from mockfiles_kit.admin import Admin

import shared_pair
from helpers import FAST_TIMINGS, BatchRig, assert_error, batch_layout, chat_line, compact_layout, parse_result_file

if not shared_pair.ENABLED:
    pytest.skip(
        "two instances on one PostgreSQL and S3: scripts/test runs it in the shared-mode pass (MOCKFILES_ACCEPTANCE_SHARED=1)",
        allow_module_level=True,
    )

# A line takes 10 s here, so a batch can be caught part way through.
SLOW_LINES = "validating=1s,line=10s,finalizing=1s,cancelling=1s"
NO_MESSAGES = {"custom_id": "bad", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o-mini"}}


def rig_on(server: Server, make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client]) -> BatchRig:
    return BatchRig(server, make_client(server.base_url), Admin.of(make_raw, server))


@pytest.fixture
def make_pair(tmp_path: Path, make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client]) -> Iterator[Callable[..., tuple[BatchRig, BatchRig]]]:
    """Factory: instances A and B on a database and bucket prefix of their own, each with its SDK client."""
    started: list[Server] = []

    def make(timings: str = FAST_TIMINGS) -> tuple[BatchRig, BatchRig]:
        a, b = shared_pair.start_pair(tmp_path / f"pair{len(started)}", "--batch-timings", timings)
        started.extend((a, b))
        return rig_on(a, make_client, make_raw), rig_on(b, make_client, make_raw)

    yield make
    codes = {server.port: server.stop(timeout=10) for server in started}
    assert all(code == 0 for code in codes.values()), f"exit codes after SIGTERM, want 0: {codes}"


def wire_bytes(rig: BatchRig, batch_id: str) -> bytes:
    """`GET /v1/batches/{id}` on that instance, as sent (the clock is frozen: the same bytes everywhere)."""
    r = rig.client.batches.with_raw_response.retrieve(batch_id).http_response
    assert r.status_code == 200, r.text
    return r.content


def counts(b: dict[str, Any]) -> tuple[int, int, int]:
    c = b["request_counts"]
    return c["total"], c["completed"], c["failed"]


def batch_output_ids(rig: BatchRig) -> list[str]:
    """Every `batch_output` File the instance lists (all pages), duplicates kept."""
    return [f.id for f in rig.client.files.list(purpose="batch_output")]


# ---------------------------------------------------------------- one batch, two instances


def test_a_batch_made_on_one_instance_is_the_same_batch_on_the_other(make_pair: Callable[..., tuple[BatchRig, BatchRig]]) -> None:
    a, b = make_pair()
    a.freeze()
    batch = a.create(chat_line("first"), NO_MESSAGES, chat_line("third"), metadata={"run": "shared"})

    # At once on B: the same object, retrieved and listed.
    assert wire_bytes(b, batch.id) == wire_bytes(a, batch.id)
    on_b = b.wire(batch.id)
    assert (on_b["status"], counts(on_b), on_b["metadata"]) == ("validating", (0, 0, 0), {"run": "shared"}), on_b
    page = batch_layout(b.client.batches.with_raw_response.list().http_response.content)
    assert [x["id"] for x in page["data"]] == [batch.id] and page["data"][0] == on_b

    # The clock moves through A; readers on both instances race to make the results.
    a.advance(3600)
    with ThreadPoolExecutor(max_workers=8) as pool:
        seen = list(pool.map(lambda rig: rig.client.batches.retrieve(batch.id).output_file_id, [a, b] * 4))
    done = b.wire(batch.id)
    assert (done["status"], counts(done)) == ("completed", (3, 2, 1)), done
    assert done["output_file_id"] and done["error_file_id"], done
    assert set(seen) == {done["output_file_id"]}, "every reader saw the one output file"
    assert wire_bytes(a, batch.id) == wire_bytes(b, batch.id)
    listed = batch_layout(a.client.batches.with_raw_response.list().http_response.content)["data"]
    assert listed == [done]

    # Read on B, line by line; A serves the same bytes.
    out = parse_result_file(b.content(done["output_file_id"]))
    assert [x["custom_id"] for x in out] == ["first", "third"] and all(x["response"]["status_code"] == 200 for x in out), out
    err = parse_result_file(b.content(done["error_file_id"]))
    assert [(x["custom_id"], x["response"]["status_code"]) for x in err] == [("bad", 400)], err
    for file_id in (done["output_file_id"], done["error_file_id"]):
        assert a.content(file_id) == b.content(file_id)

    # Made once: one output and one error File, listed alike on both, the input beside them.
    made = sorted([done["output_file_id"], done["error_file_id"]])
    for rig in (a, b):
        assert sorted(batch_output_ids(rig)) == made
        assert sorted(f.id for f in rig.client.files.list()) == sorted([*made, batch.input_file_id])
        assert rig.client.batches.retrieve(batch.id).output_file_id == done["output_file_id"]


# ---------------------------------------------------------------- kill -9 while results are made

BATCHES = 20
LINES = 200


def test_a_kill_9_while_results_are_made_leaves_each_batch_one_whole_output(
    make_pair: Callable[..., tuple[BatchRig, BatchRig]], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client]
) -> None:
    a, b = make_pair()
    a.freeze()  # all created in one second: all due at the same moment
    made = {a.create(*(chat_line(f"b{n}-r{i}", f"question {i}") for i in range(LINES))).id: n for n in range(BATCHES)}

    # A makes results for readers of its own (and maybe in its settler); it dies once one is answered,
    # the others still being made.
    a.advance(3600)
    with ThreadPoolExecutor(max_workers=8) as pool:
        reads = [pool.submit(a.client.batches.retrieve, batch_id) for batch_id in made]
        wait(reads, return_when=FIRST_COMPLETED)
        a.server.kill()
    answered_by_a = sum(1 for r in reads if r.exception() is None)
    assert answered_by_a < BATCHES, "A answered every batch before the kill: nothing was cut short"

    # Nobody reads a batch yet: B's settler takes the lease A can no longer renew and makes the rest
    # (listing files makes nothing).
    deadline = time.monotonic() + 30
    while len(batch_output_ids(b)) < BATCHES and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(batch_output_ids(b)) == BATCHES, f"B's settler made {len(batch_output_ids(b))} of {BATCHES} outputs within 30 s of the kill"

    # Each batch completed, one output File with every line once, no error File.
    outputs: dict[str, str] = {}
    for batch_id, n in made.items():
        done = b.wire(batch_id)
        assert (done["status"], counts(done), done["error_file_id"]) == ("completed", (LINES, LINES, 0), None), done
        lines = parse_result_file(b.content(done["output_file_id"]))
        assert [x["custom_id"] for x in lines] == [f"b{n}-r{i}" for i in range(LINES)], f"{batch_id}: {len(lines)} lines"
        outputs[batch_id] = done["output_file_id"]
    listed = batch_output_ids(b)
    assert len(listed) == BATCHES and sorted(listed) == sorted(outputs.values()), "one batch_output File per batch, no orphans"

    # A again, on the same storage: it agrees.
    a.server.spawn(attempts=3)
    again = rig_on(a.server, make_client, make_raw)
    for batch_id, output_id in outputs.items():
        assert wire_bytes(again, batch_id) == wire_bytes(b, batch_id)
        assert again.client.batches.retrieve(batch_id).output_file_id == output_id
    assert sorted(batch_output_ids(again)) == sorted(listed)
    some = next(iter(outputs.values()))
    assert again.content(some) == b.content(some)


# ---------------------------------------------------------------- cancel across instances


def test_a_cancel_on_b_of_a_batch_made_on_a(make_pair: Callable[..., tuple[BatchRig, BatchRig]]) -> None:
    a, b = make_pair(SLOW_LINES)
    t0 = a.freeze()
    batch = a.create(*(chat_line(f"r{i}") for i in range(5)))
    a.advance(1 + 25)  # lines 1 and 2 done (at +11, +21), line 3 running
    assert counts(b.wire(batch.id)) == (5, 2, 0)

    r = b.client.batches.with_raw_response.cancel(batch.id).http_response
    assert r.status_code == 200, r.text
    cancelling = compact_layout(r.content)
    assert (cancelling["status"], cancelling["cancelling_at"], cancelling["cancelled_at"]) == ("cancelling", t0 + 26, None), cancelling
    assert a.wire(batch.id) == cancelling, "A sees B's cancel at once"

    b.advance(30)  # through B this time; line 3 would have finished
    done = a.wire(batch.id)
    assert (done["status"], done["cancelled_at"], counts(done)) == ("cancelled", t0 + 27, (5, 2, 0)), done
    assert b.wire(batch.id) == done
    assert [x["custom_id"] for x in parse_result_file(b.content(done["output_file_id"]))] == ["r0", "r1"]
    err = parse_result_file(a.content(done["error_file_id"]))
    assert [(x["custom_id"], x["error"]["code"]) for x in err] == [("r2", "batch_cancelled"), ("r3", "batch_cancelled"), ("r4", "batch_cancelled")]
    again = compact_layout(a.client.batches.with_raw_response.cancel(batch.id).http_response.content)
    assert again == done, "a cancel of a cancelled batch, on the other instance, answers it unchanged"
    for rig in (a, b):
        assert sorted(batch_output_ids(rig)) == sorted([done["output_file_id"], done["error_file_id"]])


def test_a_batch_finished_on_one_instance_cannot_be_cancelled_on_the_other(make_pair: Callable[..., tuple[BatchRig, BatchRig]]) -> None:
    a, b = make_pair()
    a.freeze()
    read_first = a.create(chat_line("a"))
    never_read = a.create(chat_line("b"))
    a.advance(3600)
    # `never_read` is due, its files perhaps not made yet: a cancel must not catch it in between.
    for rig in (b, a):
        with pytest.raises(openai.ConflictError) as e:
            rig.client.batches.cancel(never_read.id)
        assert_error(e.value, 409, message="Cannot cancel a batch with status 'completed'.", param=None, code=None)
    before = a.wire(read_first.id)
    assert before["status"] == "completed" and before["output_file_id"], before
    with pytest.raises(openai.ConflictError) as e:
        b.client.batches.cancel(read_first.id)
    assert_error(e.value, 409, message="Cannot cancel a batch with status 'completed'.", param=None, code=None)
    for batch_id in (read_first.id, never_read.id):
        assert wire_bytes(a, batch_id) == wire_bytes(b, batch_id)
        assert b.wire(batch_id)["status"] == "completed"
    assert len(batch_output_ids(b)) == 2, "one output File each, the refused cancels made none"


# ---------------------------------------------------------------- the list, with the clock stopped


def test_batches_made_at_one_frozen_moment_list_newest_first_on_both(make_pair: Callable[..., tuple[BatchRig, BatchRig]]) -> None:
    a, b = make_pair()
    a.freeze()
    input_id = a.upload(chat_line("r"))
    # Eight, alternately on A and B: 1 in 40,320 orders is newest first by chance.
    made = [rig.client.batches.create(input_file_id=input_id, endpoint="/v1/chat/completions", completion_window="24h").id for rig in [a, b] * 4]
    for rig in (a, b):
        assert [x.id for x in rig.client.batches.list()] == made[::-1]
