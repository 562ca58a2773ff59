"""Snapshots: GET /admin/snapshot gives the whole state as one tar archive that standard tools read
(Python's tarfile here); POST /admin/snapshot, `serve --snapshot` and `mockfiles snapshot export|import`
put a state back, all or nothing. Through the kit's plugin, the kit's Admin and the SDK."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from mockfiles_kit import Server, binary_path
from mockfiles_kit.admin import Admin

from helpers import BatchRig, chat_line


def test_the_snapshot_is_a_tar_that_tarfile_reads(mockfiles_url: str, mockfiles_openai: openai.OpenAI, mockfiles_admin: Admin) -> None:
    data = b"bytes to keep\n" * 1000
    made = mockfiles_openai.files.create(file=("keep.txt", io.BytesIO(data)), purpose="user_data")
    upload = mockfiles_openai.uploads.create(bytes=10, filename="open.bin", mime_type="text/plain", purpose="user_data")
    part = mockfiles_openai.uploads.parts.create(upload.id, data=b"12345")
    response = httpx2.get(f"{mockfiles_url}/admin/snapshot", timeout=60)
    assert response.status_code == 200 and response.headers["content-type"] == "application/x-tar"
    with tarfile.open(fileobj=io.BytesIO(response.content), mode="r:") as archive:
        names = archive.getnames()
        assert names == [
            "mockfiles-snapshot.json", f"blobs/{made.id}", f"files/{made.id}.json", f"parts/{part.id}",
            f"uploads/{upload.id}.json", "mockfiles-snapshot-end.json",
        ], names

        def read(name: str) -> bytes:
            member = archive.extractfile(name)
            assert member is not None, name
            return member.read()

        assert read(f"blobs/{made.id}") == data
        record = json.loads(read(f"files/{made.id}.json"))
        assert record["sha256"] == hashlib.sha256(data).hexdigest() and record["bytes"] == len(data), record
        assert json.loads(read("mockfiles-snapshot-end.json")) == {"files": 1, "uploads": 1, "parts": 1, "batches": 0}
        assert json.loads(read(f"uploads/{upload.id}.json"))["parts"][0]["sha256"] == hashlib.sha256(b"12345").hexdigest()


def visible_state(client: openai.OpenAI) -> list[tuple[Any, bytes]]:
    """Every File object with its bytes, as the SDK sees them (files of a downloadable purpose)."""
    return [(f.model_dump(), client.files.content(f.id).read()) for f in client.files.list(limit=100).data]


def repack(archive: Path, into: Path, change: dict[str, bytes] | None = None) -> Path:
    """The archive's entries written again by Python's tarfile (its own header layout and padding),
    with the bytes of the entries named in `change` replaced."""
    change = change or {}
    with tarfile.open(archive, mode="r:") as source, tarfile.open(into, mode="w:") as target:
        for member in source.getmembers():
            extracted = source.extractfile(member)
            assert extracted is not None, member.name
            data = change.get(member.name, extracted.read())
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            target.addfile(info, io.BytesIO(data))
    return into


def test_a_saved_snapshot_puts_back_the_same_files_and_bytes(
    mockfiles_openai: openai.OpenAI, mockfiles_admin: Admin, tmp_path: Path
) -> None:
    client = mockfiles_openai
    made = [
        client.files.create(file=(f"f{n}.png", io.BytesIO(os.urandom(size))), purpose="vision")
        for n, size in enumerate([0, 1, 70_000, 3 * 1024 * 1024 + 5])
    ]
    upload = client.uploads.create(bytes=10, filename="open.png", mime_type="image/png", purpose="vision")
    part = client.uploads.parts.create(upload.id, data=b"12345")
    mockfiles_admin.add_fault(path="/v1/models", status=503, times=2)
    before = visible_state(client)
    archive = mockfiles_admin.save_snapshot(tmp_path / "state.tar")

    mockfiles_admin.reset()
    client.files.create(file=("replaced.png", io.BytesIO(b"gone after the restore")), purpose="vision")
    counts = {"files_restored": len(made), "uploads_restored": 1, "parts_restored": 1, "batches_restored": 0}
    assert mockfiles_admin.restore_snapshot(archive) == counts
    assert visible_state(client) == before
    assert [f["path"] for f in mockfiles_admin.faults()] == ["/v1/models"]
    # The open Upload goes on where it stopped.
    second = client.uploads.parts.create(upload.id, data=b"67890")
    done = client.uploads.complete(upload.id, part_ids=[part.id, second.id])
    assert done.file is not None and client.files.content(done.file.id).read() == b"1234567890"

    # The same state written by another tar writer restores the same.
    mockfiles_admin.reset()
    assert mockfiles_admin.restore_snapshot(repack(archive, tmp_path / "repacked.tar")) == counts
    assert visible_state(client) == before


def test_a_bad_archive_changes_nothing_and_names_the_entry(mockfiles_openai: openai.OpenAI, mockfiles_admin: Admin, tmp_path: Path) -> None:
    client = mockfiles_openai
    kept = client.files.create(file=("kept.png", io.BytesIO(b"the state that stays")), purpose="vision")
    archive = mockfiles_admin.save_snapshot(tmp_path / "state.tar")
    before = visible_state(client)
    damaged = repack(archive, tmp_path / "damaged.tar", {f"blobs/{kept.id}": b"THE state that stays"})
    error = mockfiles_admin.restore_snapshot(damaged, want=400)["error"]
    assert error["code"] == "invalid_snapshot" and f"'blobs/{kept.id}'" in error["message"], error
    cut = tmp_path / "cut.tar"
    cut.write_bytes(archive.read_bytes()[:1500])
    error = mockfiles_admin.restore_snapshot(cut, want=400)["error"]
    assert error["code"] == "invalid_snapshot" and "cut short" in error["message"], error
    assert visible_state(client) == before
    # A page cannot send a tar across sites without a preflight; anything else is refused.
    r = httpx2.post(f"{mockfiles_admin.http.base_url}/admin/snapshot", content=archive.read_bytes(), headers={"content-type": "text/plain"})
    assert r.status_code == 415, r.text


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(binary_path()), *map(str, args)], capture_output=True, text=True, timeout=120)


def test_snapshot_export_and_import_offline_and_serve_from_one(tmp_path: Path) -> None:
    first = Server.start(tmp_path / "first", tmp_path / "logs1")
    try:
        client = openai.OpenAI(base_url=first.base_url, api_key="sk-test", max_retries=0)
        for n in range(3):
            client.files.create(file=(f"n{n}.txt", io.BytesIO(b"offline %d" % n)), purpose="assistants")
        before = [f.model_dump() for f in client.files.list().data]
        # The clock and the rules are part of the state an offline import carries (it once dropped them).
        admin = httpx2.Client(base_url=first.root_url)
        assert admin.post("/admin/clock", json={"now": 1_800_000_000, "frozen": True}).status_code == 200
        assert admin.post("/admin/faults", json={"path": "/v1/models", "status": 418, "times": 3}).status_code == 200
    finally:
        assert first.stop() == 0, first.output()

    archive = tmp_path / "offline.tar"
    exported = run("snapshot", "export", "--data-dir", tmp_path / "first", "--output", archive)
    assert exported.returncode == 0 and "exported 3 files, 0 uploads, 0 parts" in exported.stderr, exported
    imported = run("snapshot", "import", "--data-dir", tmp_path / "second", archive)
    assert imported.returncode == 0 and "restored 3 files" in imported.stdout, imported

    bad = tmp_path / "cut.tar"
    bad.write_bytes(archive.read_bytes()[:2000])
    refused = run("snapshot", "import", "--data-dir", tmp_path / "second", bad)
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1 and "cut short" in refused.stderr, refused

    # The imported directory, and an ephemeral server started from the archive, hold the same files.
    for data_dir, extra in ((tmp_path / "second", []), (None, ["--snapshot", str(archive)])):
        server = Server.start(data_dir, tmp_path / f"logs-{len(extra)}", extra)
        try:
            client = openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0)
            assert [f.model_dump() for f in client.files.list().data] == before, server.args
            admin = httpx2.Client(base_url=server.root_url)
            clock = admin.get("/admin/clock").json()
            assert clock["frozen"] is True and clock["now"] == 1_800_000_000, (server.args, clock)
            rules = admin.get("/admin/faults").json()["data"]
            assert [(r["path"], r["status"], r["times_remaining"]) for r in rules] == [("/v1/models", 418, 3)], (server.args, rules)
        finally:
            assert server.stop() == 0, server.output()

    started = run("serve", "--ephemeral", "--port", "0", "--snapshot", bad)
    last_line = started.stderr.splitlines()[-1]
    assert started.returncode == 78 and last_line.startswith(f"mockfiles: snapshot {bad}: ") and "cut short" in last_line, started


def test_a_failed_export_leaves_the_previous_archive_whole(tmp_path: Path) -> None:
    """`snapshot export -o FILE` once truncated FILE in place and left a cut archive when it failed."""
    data = tmp_path / "data"
    server = Server.start(data, tmp_path / "logs")
    try:
        client = openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0)
        ids = [client.files.create(file=(f"f{n}.txt", io.BytesIO(b"x" * 4096)), purpose="assistants").id for n in range(3)]
    finally:
        assert server.stop() == 0, server.output()

    archive = tmp_path / "state.tar"
    previous = os.urandom(10_000)
    archive.write_bytes(previous)
    # The last file's bytes are cut on disk: the export fails after writing the first ones.
    [blob] = list((data / "blobs").rglob(ids[-1]))
    blob.write_bytes(b"x" * 10)
    failed = run("snapshot", "export", "--data-dir", data, "-o", archive)
    assert failed.returncode == 1 and failed.stderr.startswith("mockfiles: export failed: ") and failed.stderr.count("\n") == 1, failed
    assert archive.read_bytes() == previous, "the previous archive is untouched"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "logs", "state.tar"], "no temporary file is left beside it"

    blob.write_bytes(b"x" * 4096)
    done = run("snapshot", "export", "--data-dir", data, "-o", archive)
    assert done.returncode == 0 and "exported 3 files" in done.stderr, done
    with tarfile.open(archive) as tar:
        assert {f"blobs/{i}" for i in ids} <= set(tar.getnames())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "logs", "state.tar"]


def test_export_refuses_a_directory_and_a_missing_one(tmp_path: Path) -> None:
    Server.start(tmp_path / "data", tmp_path / "logs").stop()
    (tmp_path / "out").mkdir()
    into_directory = run("snapshot", "export", "--data-dir", tmp_path / "data", "-o", tmp_path / "out")
    assert into_directory.returncode == 1 and into_directory.stderr == f"mockfiles: cannot write {tmp_path / 'out'}: is a directory\n"
    assert list((tmp_path / "out").iterdir()) == []
    missing = run("snapshot", "export", "--data-dir", tmp_path / "data", "-o", tmp_path / "nowhere" / "x.tar")
    assert missing.returncode == 1 and missing.stderr.startswith(f"mockfiles: cannot write {tmp_path / 'nowhere' / 'x.tar'}: "), missing


# ---------------------------------------------------------------- batches

# A second per line, so a frozen clock holds a batch in the middle of its lines.
SLOW_LINES = "validating=1s,line=1s,finalizing=1s,cancelling=1s"
REFUSED_LINE = {"custom_id": "refused", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o-mini"}}


def batch_rig(start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client]) -> BatchRig:
    rig = BatchRig.start(start_server, make_client, make_raw, timings=SLOW_LINES)
    rig.freeze(2_000_000_000)
    return rig


def make_batches(rig: BatchRig) -> dict[str, str]:
    """Batches in every state a snapshot may catch, by what they show when it is taken."""
    lines = [chat_line(f"r{n}") for n in range(4)] + [REFUSED_LINE]
    made = {"completed": rig.create(*lines, metadata={"z": "1", "a": "2"}).id}
    rig.advance(60)
    rig.client.batches.retrieve(made["completed"])  # its result files are made
    made["cancelled_running"] = rig.create(*lines).id
    rig.advance(3)  # validated, two lines run
    rig.client.batches.cancel(made["cancelled_running"])
    rig.advance(2)
    made["in_progress"] = rig.create(*lines).id
    made["in_progress_input_deleted"] = rig.create(*lines).id
    rig.advance(2)
    rig.client.files.delete(rig.client.batches.retrieve(made["in_progress_input_deleted"]).input_file_id)
    made["cancelling"] = rig.create(*lines).id
    rig.client.batches.cancel(made["cancelling"])
    made["failed"] = rig.client.batches.create(input_file_id=rig.upload(chat_line("x"), "{not json"), endpoint="/v1/chat/completions", completion_window="24h").id
    made["validating"] = rig.create(chat_line("v")).id
    return made


def batches_seen(rig: BatchRig, made: dict[str, str], *, file_ids: bool = True) -> dict[str, Any]:
    """Each batch as sent, the list, and the result files' bytes; without the result files' ids when
    `file_ids` is false (each server names the files it makes)."""
    seen: dict[str, Any] = {}
    listed = rig.client.batches.with_raw_response.list(limit=100).http_response.json()
    for b in listed["data"]:
        for key in ("output_file_id", "error_file_id"):
            if not file_ids and b[key] is not None:
                b[key] = "made"
    # In the list's own order: ties in one clock millisecond list in creation order, and a restore
    # inserts batches in that order.
    seen["list"] = listed["data"]
    for what, batch_id in made.items():
        b = rig.wire(batch_id)
        for key in ("output_file_id", "error_file_id"):
            if b[key] is not None:
                seen[f"{what} {key}"] = rig.content(b[key])
                if not file_ids:
                    b[key] = "made"
        seen[what] = b
    return seen


def test_batches_come_back_after_a_reset_and_on_a_fresh_server(
    start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client], tmp_path: Path
) -> None:
    rig = batch_rig(start_server, make_client, make_raw)
    made = make_batches(rig)
    before = batches_seen(rig, made)
    assert {what: before[what]["status"] for what in made} == {
        "completed": "completed", "cancelled_running": "cancelled", "in_progress": "in_progress",
        "in_progress_input_deleted": "in_progress", "cancelling": "cancelling", "failed": "validating", "validating": "validating",
    }
    archive = rig.admin.save_snapshot(tmp_path / "batches.tar")
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        assert json.loads(tar.extractfile("mockfiles-snapshot-end.json").read())["batches"] == len(made)  # type: ignore[union-attr]
    deleted_input = before["in_progress_input_deleted"]["input_file_id"]
    assert names.index(f"inputs/{deleted_input}") < names.index(f"batches/{made['in_progress_input_deleted']}.json"), names

    rig.admin.reset()
    assert rig.client.batches.list().data == []
    assert rig.admin.restore_snapshot(archive)["batches_restored"] == len(made)
    assert batches_seen(rig, made) == before

    fresh = batch_rig(start_server, make_client, make_raw)
    fresh.client.batches.create(input_file_id=fresh.upload(chat_line("gone")), endpoint="/v1/chat/completions", completion_window="24h")
    assert fresh.admin.restore_snapshot(archive)["batches_restored"] == len(made)
    assert batches_seen(fresh, made) == before

    # An hour on, both settle what was still running, alike.
    rig.advance(3600)
    fresh.advance(3600)
    after = batches_seen(rig, made, file_ids=False)
    assert batches_seen(fresh, made, file_ids=False) == after
    assert {what: after[what]["status"] for what in made} == {
        "completed": "completed", "cancelled_running": "cancelled", "in_progress": "completed", "in_progress_input_deleted": "completed",
        "cancelling": "cancelled", "failed": "failed", "validating": "completed",
    }
    assert after["in_progress_input_deleted"]["request_counts"] == {"total": 5, "completed": 4, "failed": 1}
    assert len(after["in_progress_input_deleted output_file_id"].splitlines()) == 4


def test_an_archive_from_before_batches_restores(start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client], tmp_path: Path) -> None:
    """Version 1 archives have no batch entries and no batch count; restored, they leave no batch."""
    rig = batch_rig(start_server, make_client, make_raw)
    kept = rig.client.files.create(file=("kept.txt", io.BytesIO(b"from an old archive")), purpose="user_data")
    archive = rig.admin.save_snapshot(tmp_path / "now.tar")
    with tarfile.open(archive) as tar:
        header = json.loads(tar.extractfile("mockfiles-snapshot.json").read())  # type: ignore[union-attr]
    old = repack(archive, tmp_path / "old.tar", {
        "mockfiles-snapshot.json": json.dumps({**header, "version": 1}).encode(),
        "mockfiles-snapshot-end.json": json.dumps({"files": 1, "uploads": 0, "parts": 0}).encode(),
    })
    batch = rig.create(chat_line("dropped"))
    answer = rig.admin.restore_snapshot(old)
    assert answer == {"files_restored": 1, "uploads_restored": 0, "parts_restored": 0, "batches_restored": 0}, answer
    assert rig.client.batches.list().data == []
    with pytest.raises(openai.NotFoundError):
        rig.client.batches.retrieve(batch.id)
    assert rig.client.files.retrieve(kept.id).bytes == len(b"from an old archive")


def test_a_batch_whose_deleted_input_is_missing_is_refused(start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client], tmp_path: Path) -> None:
    rig = batch_rig(start_server, make_client, make_raw)
    batch = rig.create(chat_line("a"), chat_line("b"))
    rig.client.files.delete(batch.input_file_id)
    archive = rig.admin.save_snapshot(tmp_path / "state.tar")
    stripped = tmp_path / "stripped.tar"
    with tarfile.open(archive) as source, tarfile.open(stripped, mode="w:") as target:
        for member in source.getmembers():
            if member.name.startswith("inputs/"):
                continue
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name.startswith("batches/"):
                data = json.dumps({k: v for k, v in json.loads(data).items() if k != "input_blob"}).encode()
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            target.addfile(info, io.BytesIO(data))
    error = rig.admin.restore_snapshot(stripped, want=400)["error"]
    assert error["code"] == "invalid_snapshot" and f"neither its file nor inputs/{batch.input_file_id}" in error["message"], error
    # Nothing changed: the batch still runs, and settles from the bytes kept for it.
    rig.advance(3600)
    done = rig.client.batches.retrieve(batch.id)
    assert done.status == "completed" and done.request_counts is not None and done.request_counts.completed == 2, done
