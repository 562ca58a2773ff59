"""Batches and the server around them (issue 33): result files made exactly once (many retrieves, a
restart, a kill -9 mid-batch), `POST /admin/reset` removing batches, and batch requests in the
request log (`/admin/requests`, `/admin/verify`) like file requests."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import openai
import pytest
from mockfiles_kit import Server
from mockfiles_kit.admin import Admin

import shared_pair
from helpers import BatchRig, assert_error, chat_line, parse_result_file

TIMINGS = "validating=1s,line=10s,finalizing=1s,cancelling=1s"


@pytest.fixture
def make_rig(start_test_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client]) -> Callable[..., BatchRig]:
    def make(*args: str, data_dir: Path | None = None) -> BatchRig:
        return BatchRig.start(start_test_server, make_client, make_raw, *args, timings=TIMINGS, data_dir=data_dir)

    return make


def respawned(rig: BatchRig, make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client]) -> BatchRig:
    """The same server process object started again on its data dir (and flags), with new clients."""
    rig.server.spawn(attempts=3)
    return BatchRig(rig.server, make_client(rig.server.base_url), Admin.of(make_raw, rig.server))


def output_files(rig: BatchRig) -> list[str]:
    return [f.id for f in rig.client.files.list(purpose="batch_output")]


# ---------------------------------------------------------------- made once


def test_results_are_made_once_however_often_the_batch_is_read(make_rig: Callable[..., BatchRig]) -> None:
    rig = make_rig()
    batches = [rig.create(chat_line("a"), chat_line("b")) for _ in range(3)]
    rig.advance(3600)
    first = {b.id: rig.client.batches.retrieve(b.id).output_file_id for b in batches}
    assert all(first.values()), first
    for _ in range(5):
        assert {b.id: rig.client.batches.retrieve(b.id).output_file_id for b in batches} == first
        assert {b.id: b.output_file_id for b in rig.client.batches.list()} == first
    assert sorted(output_files(rig)) == sorted(first.values()), "exactly one output file per batch"


@pytest.mark.skipif(shared_pair.ENABLED, reason="restarts one process on its data dir")
def test_results_survive_a_restart_unchanged(
    make_rig: Callable[..., BatchRig], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client], tmp_path: Path
) -> None:
    rig = make_rig(data_dir=tmp_path / "data")
    batch = rig.create(chat_line("a"), chat_line("b"))
    rig.advance(3600)
    done = rig.client.batches.retrieve(batch.id)
    content = rig.content(done.output_file_id)
    assert rig.server.stop() == 0, rig.server.output()

    again = respawned(rig, make_client, make_raw)
    again.advance(3600)  # whether or not the clock's offset was kept, the batch is past its end
    after = again.client.batches.retrieve(batch.id)
    assert (after.status, after.output_file_id, after.completed_at) == ("completed", done.output_file_id, done.completed_at)
    assert output_files(again) == [done.output_file_id]
    assert again.content(after.output_file_id) == content


@pytest.mark.skipif(shared_pair.ENABLED, reason="kills one process and restarts it on its data dir")
def test_a_batch_killed_mid_run_continues_after_the_restart(
    make_rig: Callable[..., BatchRig], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client], tmp_path: Path
) -> None:
    rig = make_rig(data_dir=tmp_path / "data")
    batch = rig.create(*(chat_line(f"r{i}") for i in range(4)))
    rig.advance(1 + 15)  # one line done, the second running
    running = rig.client.batches.retrieve(batch.id)
    assert running.status == "in_progress" and running.request_counts is not None and running.request_counts.completed == 1, running
    rig.server.kill()

    again = respawned(rig, make_client, make_raw)
    again.advance(3600)
    done = again.client.batches.retrieve(batch.id)
    assert done.status == "completed" and done.error_file_id is None, done
    assert done.request_counts is not None and (done.request_counts.total, done.request_counts.completed) == (4, 4)
    assert [x["custom_id"] for x in parse_result_file(again.content(done.output_file_id))] == ["r0", "r1", "r2", "r3"]
    assert output_files(again) == [done.output_file_id]
    for _ in range(3):
        assert again.client.batches.retrieve(batch.id).output_file_id == done.output_file_id


# ---------------------------------------------------------------- reset


def test_reset_removes_batches(make_rig: Callable[..., BatchRig]) -> None:
    rig = make_rig()
    running = rig.create(chat_line("a"))
    finished = rig.create(chat_line("b"))
    rig.advance(3600)
    assert rig.client.batches.retrieve(finished.id).output_file_id
    rig.admin.reset()
    for batch_id in (running.id, finished.id):
        with pytest.raises(openai.NotFoundError) as e:
            rig.client.batches.retrieve(batch_id)
        assert_error(e.value, 404, message=f"No batch found with id '{batch_id}'.", param=None, code=None)
    assert list(rig.client.batches.list()) == []
    assert rig.client.files.list().data == [], "their input and result files go too"


# ---------------------------------------------------------------- request log


def test_batch_requests_are_in_the_request_log(make_rig: Callable[..., BatchRig]) -> None:
    rig = make_rig()
    admin: Admin = rig.admin
    batch = rig.create(chat_line("a"))
    rig.client.batches.retrieve(batch.id)
    list(rig.client.batches.list())
    rig.client.batches.cancel(batch.id)
    with pytest.raises(openai.NotFoundError):
        rig.client.batches.retrieve("batch_unknown")
    with pytest.raises(openai.BadRequestError):
        rig.client.batches.create(input_file_id="file-1111111111111111111111", endpoint="/v1/chat/completions", completion_window="24h")

    assert admin.verify(method="POST", path="/v1/batches", status=200, count=1) == 1
    assert admin.verify(method="POST", path="/v1/batches", status=400, count=1) == 1
    assert admin.verify(method="GET", path="/v1/batches/*", object_id=batch.id, status=200, count=1) == 1
    assert admin.verify(method="POST", path="/v1/batches/*/cancel", object_id=batch.id, status=200, count=1) == 1
    assert admin.verify(method="GET", path="/v1/batches", status=200, count=1) == 1
    assert admin.verify(method="GET", path="/v1/batches/batch_unknown", status=404, count=1) == 1
    (created,) = [e for e in admin.requests(path="/v1/batches") if e["method"] == "POST" and e["status"] == 200]
    assert created["api_key_hint"] == "test" and created["error"] is None, created


def test_concurrent_readers_at_the_due_moment_see_one_output(make_rig: Callable[..., BatchRig]) -> None:
    """Twenty clients ask for the batch at once when its results fall due: one set of files, one id."""
    rig = make_rig()
    rig.freeze()
    batch = rig.create(*(chat_line(f"r{i}") for i in range(20)))
    rig.advance(3600)
    with ThreadPoolExecutor(max_workers=20) as pool:
        seen = list(pool.map(lambda _: rig.client.batches.retrieve(batch.id).output_file_id, range(20)))
    assert len(set(seen)) == 1 and seen[0], seen
    assert output_files(rig) == [seen[0]]
    assert len(parse_result_file(rig.content(seen[0]))) == 20


def test_results_are_made_without_anyone_reading_the_batch(make_rig: Callable[..., BatchRig]) -> None:
    """The output file shows up in the file list when the schedule says, whether or not the batch is polled."""
    rig = make_rig()
    batch = rig.create(chat_line("a"))
    rig.advance(3600)
    deadline = time.monotonic() + 10
    while not output_files(rig) and time.monotonic() < deadline:
        time.sleep(0.1)
    (made,) = output_files(rig)
    assert rig.client.batches.retrieve(batch.id).output_file_id == made


def test_a_batch_outlives_the_deletion_of_its_input_file(make_rig: Callable[..., BatchRig]) -> None:
    rig = make_rig()
    batch = rig.create(chat_line("a"), chat_line("b"))
    rig.client.files.delete(batch.input_file_id)
    rig.advance(3600)
    done = rig.client.batches.retrieve(batch.id)
    assert done.status == "completed" and done.output_file_id, done
    assert [x["custom_id"] for x in parse_result_file(rig.content(done.output_file_id))] == ["a", "b"]


@pytest.mark.skipif(shared_pair.ENABLED, reason="removes a blob from one process's data dir (shared, blobs are in S3)")
def test_a_batch_whose_input_blob_was_removed_by_hand_settles_without_files(make_rig: Callable[..., BatchRig], tmp_path: Path) -> None:
    """An input blob gone from the data directory (an operator's hand, not the API) cannot be read:
    that batch settles without result files (a log line says why), and the batches due after it
    still get theirs (before, every sweep retried it first and retrieve answered 500)."""
    data = tmp_path / "data"
    rig = make_rig(data_dir=data)
    broken = rig.create(chat_line("a"))
    healthy = [rig.create(chat_line(f"h{i}")) for i in range(3)]
    [blob] = list((data / "blobs").rglob(broken.input_file_id))
    blob.unlink()
    rig.advance(3600)
    gone = rig.client.batches.retrieve(broken.id)
    assert (gone.status, gone.output_file_id, gone.error_file_id) == ("completed", None, None), gone
    for batch in healthy:
        done = rig.client.batches.retrieve(batch.id)
        assert done.status == "completed" and done.output_file_id, done
    assert len(output_files(rig)) == 3
    assert "batch input gone" in rig.server.stdout_path.read_text() + rig.server.stderr_path.read_text()
