"""The server's clock (GET/POST /admin/clock), expiry by moving it, the sweeper on demand
(POST /admin/sweep) and the simulated processing delay (--processing-delay), through the SDK."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import openai
import pytest
from mockfiles_kit import Server
from mockfiles_kit.admin import Admin

from helpers import assert_error

HOUR = 3600
THIRTY_DAYS = 2592000
FROZEN_AT = 2_000_000_000  # 2033-05-18, a whole second


@dataclass
class Rig:
    server: Server
    client: openai.OpenAI
    admin: Admin


@pytest.fixture
def make_rig(start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client]) -> Iterator[Callable[..., Rig]]:
    """A server of its own per test: moving its clock must not disturb any other test."""

    def make(*args: str) -> Rig:
        server = start_server(*args)
        return Rig(server, make_client(server.base_url), Admin.of(make_raw, server))

    yield make


@pytest.fixture
def rig(make_rig: Callable[..., Rig]) -> Rig:
    return make_rig()


def blobs_holding(data_dir: Path, marker: bytes) -> list[Path]:
    return [p for p in data_dir.rglob("*") if p.is_file() and marker in p.read_bytes()]


# ---------------------------------------------------------------- the clock itself


def test_clock_follows_real_time_until_frozen(rig: Rig) -> None:
    clock = rig.admin.clock()
    assert set(clock) == {"now", "now_exact", "frozen"}, clock
    assert type(clock["now"]) is int and clock["now"] == int(clock["now_exact"]), clock
    assert abs(clock["now_exact"] - time.time()) < 5 and clock["frozen"] is False, clock

    frozen = rig.admin.set_clock(frozen=True)
    assert frozen["frozen"] is True
    time.sleep(0.3)
    assert rig.admin.clock()["now_exact"] == frozen["now_exact"], "a frozen clock stands still"

    moved = rig.admin.advance(90)
    assert moved["now_exact"] == pytest.approx(frozen["now_exact"] + 90) and moved["frozen"] is True

    running = rig.admin.set_clock(frozen=False)
    assert running["frozen"] is False
    time.sleep(0.3)
    later = rig.admin.clock()
    assert later["now_exact"] > running["now_exact"], "an unfrozen clock runs again"
    assert later["now_exact"] - time.time() == pytest.approx(90, abs=5), "and keeps the 90 s it was moved"


def test_advancing_does_not_freeze(rig: Rig) -> None:
    moved = rig.admin.advance(HOUR)
    assert moved["frozen"] is False
    assert moved["now_exact"] - time.time() == pytest.approx(HOUR, abs=5)
    time.sleep(0.3)
    assert rig.admin.clock()["now_exact"] > moved["now_exact"]


def test_clock_can_be_set_and_frozen_at_once(rig: Rig) -> None:
    clock = rig.admin.set_clock(now=FROZEN_AT, frozen=True)
    assert clock == {"now": FROZEN_AT, "now_exact": FROZEN_AT, "frozen": True}


@pytest.mark.parametrize(
    "body",
    [{}, {"advance_seconds": "10"}, {"now": True}, {"frozen": "yes"}, {"rewind": 10}],
    ids=["empty", "advance-string", "now-bool", "frozen-string", "unknown-field"],
)
def test_bad_clock_requests_are_refused(rig: Rig, body: dict[str, object]) -> None:
    before = rig.admin.clock()
    assert_error(rig.admin.http.post("/admin/clock", json=body), 400)
    after = rig.admin.clock()
    assert after["frozen"] is False and after["now_exact"] - before["now_exact"] < 5


# ---------------------------------------------------------------- expiry of files


def test_file_expires_when_the_clock_is_advanced(rig: Rig) -> None:
    c = rig.client
    f = c.files.create(file=("hour.txt", b"an hour"), purpose="user_data", expires_after={"anchor": "created_at", "seconds": HOUR})
    keep = c.files.create(file=("keep.txt", b"kept"), purpose="user_data")
    assert f.expires_at == f.created_at + HOUR
    rig.admin.advance(HOUR)
    with pytest.raises(openai.NotFoundError) as e:
        c.files.retrieve(f.id)
    assert_error(e.value, 404, message=f"No such File object: {f.id}", param="id")
    with pytest.raises(openai.NotFoundError):
        c.files.content(f.id)
    assert [x.id for x in c.files.list()] == [keep.id]
    assert c.files.retrieve(keep.id) == keep


def test_expiry_boundary_on_a_frozen_clock(rig: Rig) -> None:
    c, admin = rig.client, rig.admin
    admin.set_clock(now=FROZEN_AT, frozen=True)
    f = c.files.create(file=("b.jsonl", b'{"custom_id": "1", "method": "POST", "url": "/v1/chat/completions", "body": {}}\n'), purpose="batch", expires_after={"anchor": "created_at", "seconds": HOUR})
    assert (f.created_at, f.expires_at) == (FROZEN_AT, FROZEN_AT + HOUR)
    admin.advance(HOUR - 1)
    assert c.files.retrieve(f.id) == f, "one second before expires_at the file is still there"
    assert [x.id for x in c.files.list()] == [f.id]
    assert admin.advance(1)["now"] == f.expires_at
    with pytest.raises(openai.NotFoundError):
        c.files.retrieve(f.id)
    assert c.files.list().data == []


@pytest.mark.blobs_on_disk
def test_sweep_removes_expired_files_and_their_content(rig: Rig) -> None:
    c, admin = rig.client, rig.admin
    marker = b"sweep-me-" + str(time.time_ns()).encode()
    f = c.files.create(file=("gone.txt", marker), purpose="user_data", expires_after={"anchor": "created_at", "seconds": HOUR})
    keep = c.files.create(file=("keep.txt", b"k"), purpose="user_data", expires_after={"anchor": "created_at", "seconds": 2 * HOUR})
    assert admin.sweep() == {"files_removed": 0}
    assert blobs_holding(rig.server.data_dir, marker), "the content is stored before expiry"
    admin.advance(HOUR + 1)
    assert admin.sweep() == {"files_removed": 1}
    assert blobs_holding(rig.server.data_dir, marker) == [], "the sweep removes an expired file's content"
    with pytest.raises(openai.NotFoundError):
        c.files.retrieve(f.id)
    assert c.files.retrieve(keep.id).id == keep.id
    assert admin.sweep() == {"files_removed": 0}


def test_timestamps_follow_the_moved_clock(rig: Rig) -> None:
    moved = rig.admin.advance(86400)
    f = rig.client.files.create(file=("b.jsonl", b'{"custom_id": "1", "method": "POST", "url": "/v1/chat/completions", "body": {}}\n'), purpose="batch")
    assert f.created_at - moved["now"] in range(0, 60), (f.created_at, moved)
    assert f.expires_at == f.created_at + THIRTY_DAYS
    u = rig.client.uploads.create(bytes=1, filename="u.txt", mime_type="text/plain", purpose="user_data")
    assert u.created_at - moved["now"] in range(0, 60) and u.expires_at == u.created_at + HOUR


def test_request_log_timestamps_follow_the_clock(rig: Rig) -> None:
    """"Every timestamp follows the clock": the request log's too, so it lines up with created_at."""
    moved = rig.admin.advance(86400)
    f = rig.client.files.create(file=("t.txt", b"t"), purpose="user_data")
    (entry,) = rig.admin.requests(path="/v1/files")
    assert entry["timestamp"] - moved["now_exact"] == pytest.approx(0, abs=60), (entry, f.created_at)


# ---------------------------------------------------------------- expiry of uploads


def test_upload_expires_an_hour_after_creation(rig: Rig) -> None:
    c = rig.client
    u = c.uploads.create(bytes=10, filename="late.txt", mime_type="text/plain", purpose="user_data")
    assert u.expires_at == u.created_at + HOUR and u.status == "pending"
    first = c.uploads.parts.create(upload_id=u.id, data=b"01234")
    rig.admin.advance(HOUR)
    with pytest.raises(openai.BadRequestError) as e:
        c.uploads.parts.create(upload_id=u.id, data=b"56789")
    assert_error(e.value, 400)
    with pytest.raises(openai.BadRequestError) as e:
        c.uploads.complete(upload_id=u.id, part_ids=[first.id])
    assert_error(e.value, 400)
    assert c.files.list().data == [], "an expired upload makes no file"


def test_upload_one_second_before_expiry_still_completes(rig: Rig) -> None:
    c = rig.client
    rig.admin.set_clock(now=FROZEN_AT, frozen=True)
    u = c.uploads.create(bytes=4, filename="just.txt", mime_type="image/png", purpose="vision")  # vision: downloadable by default
    assert (u.created_at, u.expires_at) == (FROZEN_AT, FROZEN_AT + HOUR)
    rig.admin.advance(HOUR - 1)
    part = c.uploads.parts.create(upload_id=u.id, data=b"just")
    done = c.uploads.complete(upload_id=u.id, part_ids=[part.id])
    assert done.status == "completed" and done.file is not None
    assert c.files.content(done.file.id).read() == b"just"


# ---------------------------------------------------------------- processing delay


def test_wait_for_processing_waits_out_the_processing_delay(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig("--processing-delay", "1500")
    c = rig.client
    started = time.monotonic()
    f = c.files.create(file=("slow.jsonl", b'{"prompt": "a", "completion": "b"}\n'), purpose="user_data")
    assert f.status == "uploaded", f
    done = c.files.wait_for_processing(f.id, poll_interval=0.1, max_wait_seconds=30)
    elapsed = time.monotonic() - started
    assert done.status == "processed", done
    assert done.model_dump(exclude={"status"}) == f.model_dump(exclude={"status"})
    assert elapsed >= 1.5, f"processed after {elapsed:.3f}s, the delay is 1.5 s"
    assert [x.status for x in c.files.list()] == ["processed"]


def test_processing_delay_follows_the_clock(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig("--processing-delay", "1500")
    c = rig.client
    rig.admin.set_clock(now=FROZEN_AT, frozen=True)
    f = c.files.create(file=("still.txt", b"still"), purpose="user_data")
    assert f.status == "uploaded"
    time.sleep(2)
    assert c.files.retrieve(f.id).status == "uploaded", "the clock is frozen: no time has passed"
    assert [x.status for x in c.files.list()] == ["uploaded"]
    rig.admin.advance(1)
    assert c.files.retrieve(f.id).status == "uploaded"
    rig.admin.advance(0.5)
    assert c.files.retrieve(f.id).status == "processed"
    assert c.files.wait_for_processing(f.id, poll_interval=0.1, max_wait_seconds=5).status == "processed"
