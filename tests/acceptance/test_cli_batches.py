"""`mockfiles batches …`, the Batches API on the command line (issue 34, item 4), run as a subprocess
against a real server and cross-checked with the official SDK and the admin API:

- create uploads a JSONL path first (purpose batch) or takes a file id, with metadata, and prints the
  Batch the server stored (a table, or its JSON with --json);
- list pages like the API (the has_more hint on stderr, --all joins the pages), retrieve and cancel
  print the server's answer;
- wait polls with a progress line on stderr until the batch ends, then says where its output and
  error files are; exit 0 only for completed, 9 for failed/expired/cancelled, 10 at --timeout;
- failures have their exit codes (2 bad request, 3 not found, 7 cannot connect, 8 local file,
  64 usage) and one `mockfiles: …` line.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from mockfiles_kit import Server, binary_path, free_port
from mockfiles_kit.admin import Admin

API_KEY = "sk-test"
CALL_TIMEOUT = 60.0
# Short stages, so a batch ends within a second of wall time.
TIMINGS = "validating=150ms,line=10ms,finalizing=150ms,cancelling=150ms"
COLUMNS = ["ID", "STATUS", "ENDPOINT", "DONE/FAILED/TOTAL", "CREATED", "INPUT", "OUTPUT", "ERRORS"]


@dataclass(frozen=True)
class Run:
    args: tuple[str, ...]
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def table(self) -> list[dict[str, str]]:
        """stdout's table as rows keyed by the header, cut where the header's columns start."""
        lines = self.out.splitlines()
        assert lines and lines[0].split() == COLUMNS, self
        starts = [lines[0].index(name) for name in COLUMNS] + [None]
        return [{name: line[a:b].strip() for name, a, b in zip(COLUMNS, starts, starts[1:])} for line in lines[1:]]

    def __str__(self) -> str:
        return f"$ mockfiles batches {' '.join(self.args)}\nexit {self.code}\nstdout: {self.out[:1500]!r}\nstderr: {self.err[-1500:]!r}"


def batches_cli(base_url: str, *args: str | Path, want: int = 0, api_key: str | None = API_KEY) -> Run:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")} | {"OPENAI_BASE_URL": base_url}
    if api_key is not None:
        env["OPENAI_API_KEY"] = api_key
    argv = tuple(str(a) for a in args)
    p = subprocess.run([str(binary_path()), "batches", *argv], env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=CALL_TIMEOUT)
    run = Run(argv, p.returncode, p.stdout.decode(), p.stderr.decode(errors="replace"))
    assert run.code == want, f"want exit {want}\n{run}"
    return run


@dataclass
class Rig:
    server: Server
    sdk: openai.OpenAI
    admin: Admin

    def cli(self, *args: str | Path, want: int = 0) -> Run:
        return batches_cli(self.server.base_url, *args, want=want)

    def upload(self, *lines: dict[str, Any]) -> str:
        data = "".join(json.dumps(line) + "\n" for line in lines).encode()
        return self.sdk.files.create(file=("input.jsonl", data), purpose="batch").id


def chat(custom_id: str) -> dict[str, Any]:
    return {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions",
            "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"question {custom_id}"}]}}


@pytest.fixture(scope="module")
def rig_server(start_server: Callable[..., Server]) -> Server:
    return start_server("--batch-timings", TIMINGS)


@pytest.fixture
def rig(rig_server: Server, make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client]) -> Rig:
    admin = Admin.of(make_raw, rig_server)
    admin.reset()
    admin.set_clock(frozen=False)
    return Rig(rig_server, make_client(rig_server.base_url), admin)


def test_create_uploads_a_path_and_prints_the_stored_batch(rig: Rig, tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    path.write_text("".join(json.dumps(chat(f"r{i}")) + "\n" for i in range(3)))
    run = rig.cli("create", path, "--endpoint", "/v1/chat/completions", "--metadata", "job=nightly", "--metadata", "team=a=b")
    (row,) = run.table()
    batch = rig.sdk.batches.retrieve(row["ID"])
    assert (row["ENDPOINT"], row["INPUT"]) == ("/v1/chat/completions", batch.input_file_id), run
    assert batch.metadata == {"job": "nightly", "team": "a=b"}
    uploaded = rig.sdk.files.retrieve(batch.input_file_id)
    assert (uploaded.purpose, uploaded.filename, uploaded.bytes) == ("batch", "requests.jsonl", path.stat().st_size)
    assert run.err == f"uploaded {path} as {uploaded.id}\n", run


def test_create_from_a_file_id_prints_the_batch_json(rig: Rig) -> None:
    file_id = rig.upload(chat("a"))
    run = rig.cli("create", file_id, "--endpoint", "/v1/chat/completions", "--json")
    printed = run.json()
    stored = rig.sdk.batches.retrieve(printed["id"])
    assert printed["input_file_id"] == file_id and printed["object"] == "batch" and printed["created_at"] == stored.created_at, run
    assert run.err == ""


def test_wait_follows_a_batch_to_completed_and_names_its_output(rig: Rig) -> None:
    batch = rig.sdk.batches.create(input_file_id=rig.upload(chat("a"), chat("b")), endpoint="/v1/chat/completions", completion_window="24h")
    run = rig.cli("wait", batch.id, "--interval", "0.05")
    done = rig.sdk.batches.retrieve(batch.id)
    assert done.status == "completed" and done.output_file_id, done
    (row,) = run.table()
    assert (row["ID"], row["STATUS"], row["DONE/FAILED/TOTAL"], row["OUTPUT"]) == (batch.id, "completed", "2/0/2", done.output_file_id), run
    progress = [line for line in run.err.splitlines() if line.startswith(batch.id)]
    assert progress[-1] == f"{batch.id}: completed, 2/0/2 done/failed/total", run
    assert len(progress) == len(set(progress)) >= 2, f"one line per change of status or counts\n{run}"
    assert f"output file: {done.output_file_id} (mockfiles files content {done.output_file_id})" in run.err.splitlines(), run
    lines = [json.loads(line) for line in rig.sdk.files.content(done.output_file_id).text.splitlines()]
    assert [line["custom_id"] for line in lines] == ["a", "b"]


def test_wait_on_a_failed_batch_exits_9_with_its_errors(rig: Rig) -> None:
    batch = rig.sdk.batches.create(input_file_id=rig.upload({"custom_id": "a"}), endpoint="/v1/chat/completions", completion_window="24h")
    run = rig.cli("wait", batch.id, "--interval", "0.05", want=9)
    assert run.table()[0]["STATUS"] == "failed"
    assert "line 1: missing_required_parameter: Missing required parameter: 'method'." in run.err.splitlines(), run


def test_wait_gives_up_at_its_timeout_with_exit_10(rig: Rig) -> None:
    rig.admin.set_clock(frozen=True)  # the batch stays validating
    batch = rig.sdk.batches.create(input_file_id=rig.upload(chat("a")), endpoint="/v1/chat/completions", completion_window="24h")
    run = rig.cli("wait", batch.id, "--interval", "0.05", "--timeout", "0.3", want=10)
    assert run.out == "" and run.err.splitlines()[-1] == "still validating after 0.3 s", run


def test_cancel_prints_cancelling_then_wait_exits_9(rig: Rig) -> None:
    rig.admin.set_clock(frozen=True)
    batch = rig.sdk.batches.create(input_file_id=rig.upload(chat("a")), endpoint="/v1/chat/completions", completion_window="24h")
    assert rig.cli("cancel", batch.id).table()[0]["STATUS"] == "cancelling"
    rig.admin.set_clock(frozen=False)
    assert rig.cli("wait", batch.id, "--interval", "0.05", want=9).table()[0]["STATUS"] == "cancelled"
    refused = rig.cli("cancel", batch.id, "--json")  # cancelling or cancelled: answered as it is
    assert refused.json()["status"] == "cancelled"


def test_cancel_of_a_completed_batch_is_the_apis_409(rig: Rig) -> None:
    batch = rig.sdk.batches.create(input_file_id=rig.upload(chat("a")), endpoint="/v1/chat/completions", completion_window="24h")
    rig.cli("wait", batch.id, "--interval", "0.05")
    run = rig.cli("cancel", batch.id, want=2)
    assert run.out == "" and run.err == "mockfiles: HTTP 409: Cannot cancel a batch with status 'completed'. (type invalid_request_error)\n", run


def test_list_pages_like_the_api(rig: Rig) -> None:
    ids = [rig.sdk.batches.create(input_file_id=rig.upload(chat("a")), endpoint="/v1/chat/completions", completion_window="24h").id for _ in range(3)]
    newest_first = [b.id for b in rig.sdk.batches.list(limit=100).data]
    assert sorted(newest_first) == sorted(ids)
    assert [row["ID"] for row in rig.cli("list").table()] == newest_first
    first = rig.cli("list", "--limit", "2")
    assert [row["ID"] for row in first.table()] == newest_first[:2]
    assert first.err == f"more batches: add --after {newest_first[1]}, or --all\n", first
    assert [row["ID"] for row in rig.cli("list", "--limit", "2", "--after", newest_first[1]).table()] == newest_first[2:]
    joined = rig.cli("list", "--limit", "1", "--all", "--json").json()
    assert [b["id"] for b in joined["data"]] == newest_first and joined["has_more"] is False
    assert (joined["first_id"], joined["last_id"]) == (newest_first[0], newest_first[-1])


def test_failures_have_their_exit_codes(rig: Rig, tmp_path: Path) -> None:
    missing = rig.cli("retrieve", "batch_nope", want=3)
    assert missing.err == "mockfiles: HTTP 404: No batch found with id 'batch_nope'. (type invalid_request_error)\n", missing
    bad_endpoint = rig.cli("create", rig.upload(chat("a")), "--endpoint", "/v1/nothing", want=2)
    assert bad_endpoint.err.startswith("mockfiles: HTTP 400: Invalid value: '/v1/nothing'."), bad_endpoint
    no_file = rig.cli("create", tmp_path / "absent.jsonl", "--endpoint", "/v1/chat/completions", want=8)
    assert no_file.err == f"mockfiles: cannot read {tmp_path / 'absent.jsonl'}: no such file (and not a file id)\n", no_file
    assert "--metadata takes key=value (got 'nokey')" in rig.cli("create", "file-x", "--endpoint", "/v1/chat/completions", "--metadata", "nokey", want=64).err
    assert "--interval takes seconds" in rig.cli("wait", "batch_x", "--interval", "0", want=64).err
    no_key = batches_cli(rig.server.base_url, "list", want=64, api_key=None)
    assert no_key.err.startswith("Error: No API key: set OPENAI_API_KEY or pass --api-key."), no_key
    refused = batches_cli(f"http://127.0.0.1:{free_port()}/v1", "list", want=7)
    assert refused.err.startswith("mockfiles: cannot reach the API: GET http://127.0.0.1:"), refused
