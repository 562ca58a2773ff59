"""An upstream for batch lines (issue 34, item 1): with `--batch-upstream URL` each line's body is POSTed
to URL + the line's url when the batch's result files are made, and the answer recorded as the service
records it: 2xx in the output file, 4xx/5xx (with their status and body), timeouts and dropped
connections in the error file. The upstream is `UpstreamStub`, a real HTTP server these tests start;
everything is checked through the official SDK's view of the batch and its files.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from mockfiles_kit import Server
from mockfiles_kit.admin import Admin

from helpers import FAST_TIMINGS, chat_line, jsonl_lines, parse_result_file
from upstream_stub import UpstreamStub

KEY = "sk-upstream-secret"


@pytest.fixture
def stub() -> Iterator[UpstreamStub]:
    stub = UpstreamStub().start()
    yield stub
    stub.stop()


class Rig:
    """A mockfiles server of its own (embedded storage) whose batch lines go to an upstream, the SDK on
    it and its admin API."""

    def __init__(self, tmp_path: Path, make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client]) -> None:
        self.tmp_path, self.make_client, self.make_raw = tmp_path, make_client, make_raw
        self.servers: list[Server] = []

    def start(self, upstream: str, *args: str, env: dict[str, str] | None = None, data_dir: Path | None = None) -> Rig:
        server = Server(data_dir or self.tmp_path / "data", self.tmp_path / f"logs{len(self.servers)}",
                        ["--batch-timings", FAST_TIMINGS, "--batch-upstream", upstream, *args],
                        env={"MOCKFILES_BATCH_UPSTREAM_API_KEY": KEY, **(env or {})})
        server.spawn()
        self.servers.append(server)
        self.server = server
        self.client = self.make_client(server.base_url)
        self.admin = Admin.of(self.make_raw, server)
        return self

    def create(self, *lines: Any, endpoint: str = "/v1/chat/completions", **options: Any) -> Any:
        file = self.client.files.create(file=("requests.jsonl", jsonl_lines(*lines)), purpose="batch")
        return self.client.batches.create(input_file_id=file.id, endpoint=endpoint, completion_window="24h", **options)  # type: ignore[arg-type]

    def settled(self, batch_id: str, timeout: float = 30.0) -> Any:
        """The batch once its result files are made (polled as a user would)."""
        deadline = time.monotonic() + timeout
        while True:
            batch = self.client.batches.retrieve(batch_id)
            if batch.status in ("completed", "expired", "cancelled", "failed"):
                return batch
            assert time.monotonic() < deadline, f"still {batch.status} after {timeout} s:\n{self.server.output()}"
            time.sleep(0.1)

    def lines(self, file_id: str | None) -> list[dict[str, Any]]:
        return [] if file_id is None else parse_result_file(self.client.files.content(file_id).read())


@pytest.fixture
def rig(tmp_path: Path, make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client]) -> Iterator[Rig]:
    rig = Rig(tmp_path, make_client, make_raw)
    yield rig
    for server in rig.servers:
        assert server.stop(timeout=10) == 0, server.output()


def test_answers_errors_timeouts_and_drops_land_where_the_service_puts_them(rig: Rig, stub: UpstreamStub) -> None:
    rig.start(stub.url, "--batch-upstream-timeout", "1")
    texts = ["What is 2+2?", "error:429", "error:500", "slow:3", "drop", "Why is the sky blue?", "html"]
    lines: list[Any] = [chat_line(f"q{i}", text) for i, text in enumerate(texts)]
    # One line as a person might write it: its body must reach the upstream byte for byte.
    lines[0] = '{"custom_id": "q0", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o-mini",  "temperature": 0.70,' \
               ' "messages": [{"role": "user", "content": "What is 2+2?"}]}}'
    batch = rig.create(*lines)
    rig.admin.advance(60)
    started = time.monotonic()
    held = rig.client.batches.retrieve(batch.id)
    # The upstream is still answering: a read does not wait for it, and the batch is not done yet.
    assert time.monotonic() - started < 0.9
    assert (held.status, held.output_file_id, held.error_file_id, held.completed_at) == ("finalizing", None, None, None)
    batch = rig.settled(batch.id)

    assert batch.status == "completed"
    assert (batch.request_counts.total, batch.request_counts.completed, batch.request_counts.failed) == (7, 2, 5)
    output = rig.lines(batch.output_file_id)
    assert [line["custom_id"] for line in output] == ["q0", "q5"]
    for line, text in zip(output, ["What is 2+2?", "Why is the sky blue?"]):
        assert line["response"]["status_code"] == 200 and line["error"] is None
        assert line["response"]["body"]["object"] == "chat.completion"
        assert line["response"]["body"]["choices"][0]["message"]["content"] == f"echo: {text}"
    errors = {line["custom_id"]: line for line in rig.lines(batch.error_file_id)}
    assert list(errors) == ["q1", "q2", "q3", "q4", "q6"]
    for custom_id, status in [("q1", 429), ("q2", 500)]:
        assert errors[custom_id]["response"]["status_code"] == status and errors[custom_id]["error"] is None
        assert errors[custom_id]["response"]["body"]["error"]["code"] == f"stub_{status}"
    assert errors["q6"]["response"] == {"status_code": 502, "request_id": errors["q6"]["response"]["request_id"],
                                        "body": "<html><body>502 Bad Gateway</body></html>"}
    assert errors["q3"]["response"] is None and errors["q3"]["error"]["code"] == "request_timeout"
    assert errors["q4"]["response"] is None and errors["q4"]["error"]["code"] == "upstream_error"
    # The answered lines' usage, as the stub counted it.
    assert (batch.usage.input_tokens, batch.usage.output_tokens) == (3 + 5, 4 + 6)

    # What the upstream got: each line's body as written, at its url, with the key.
    sent = stub.requests
    assert {r["path"] for r in sent} == {"/v1/chat/completions"}
    assert {r["headers"]["Authorization"] for r in sent} == {f"Bearer {KEY}"}
    assert {UpstreamStub.text(json.loads(r["body"])) for r in sent} == set(texts)
    written = {json.dumps(line["body"]).encode() for line in lines[1:]} | {
        b'{"model": "gpt-4o-mini",  "temperature": 0.70, "messages": [{"role": "user", "content": "What is 2+2?"}]}'}
    assert {r["body"] for r in sent} == written


def test_rules_win_over_the_upstream_and_lines_that_never_ran_are_not_sent(rig: Rig, stub: UpstreamStub) -> None:
    rig.start(stub.url)
    rig.admin.add_batch_rule(match={"custom_id": "q1"}, answer={"body": {"id": "fixed", "object": "chat.completion", "choices": []}})
    rig.admin.add_batch_rule(match={"custom_id": "q2"}, error={"status_code": 429, "message": "Rate limit reached."})
    rig.admin.add_batch_rule(match={"metadata": {"scenario": "expire"}}, expire_after_lines=4)
    batch = rig.create(*[chat_line(f"q{i}", f"line {i}") for i in range(6)], metadata={"scenario": "expire"})
    rig.admin.advance(60)
    batch = rig.settled(batch.id)

    assert batch.status == "expired"
    assert (batch.request_counts.completed, batch.request_counts.failed) == (3, 1)
    output = rig.lines(batch.output_file_id)
    assert [(line["custom_id"], line["response"]["body"].get("choices")) for line in output][1] == ("q1", [])
    assert [line["custom_id"] for line in output] == ["q0", "q1", "q3"]
    assert output[2]["response"]["body"]["choices"][0]["message"]["content"] == "echo: line 3"
    errors = rig.lines(batch.error_file_id)
    assert [(e["custom_id"], e["response"] and e["response"]["status_code"], e["error"] and e["error"]["code"]) for e in errors] == [
        ("q2", 429, None), ("q4", None, "batch_expired"), ("q5", None, "batch_expired")]
    assert sorted(UpstreamStub.text(body) for body in stub.bodies()) == ["line 0", "line 3"]


def test_requests_in_flight_are_bounded_by_the_setting(rig: Rig) -> None:
    stub = UpstreamStub(delay=0.3).start()
    try:
        rig.start(stub.url, "--batch-upstream-concurrency", "10")
        batch = rig.create(*[chat_line(f"q{i}", f"line {i}") for i in range(40)])
        rig.admin.advance(60)
        batch = rig.settled(batch.id)
    finally:
        stub.stop()
    assert (batch.status, batch.request_counts.completed) == ("completed", 40)
    # Never more than 10 at once, and 10 at once indeed (more than an HTTP client's usual pool of 8).
    assert stub.max_in_flight == 10
    assert [line["custom_id"] for line in rig.lines(batch.output_file_id)] == [f"q{i}" for i in range(40)]


def test_embeddings_go_to_their_own_url(rig: Rig, stub: UpstreamStub) -> None:
    rig.start(stub.url + "/")
    line = {"custom_id": "e0", "method": "POST", "url": "/v1/embeddings", "body": {"model": "text-embedding-3-small", "input": "two words"}}
    batch = rig.create(line, endpoint="/v1/embeddings")
    rig.admin.advance(60)
    batch = rig.settled(batch.id)
    assert batch.status == "completed"
    [answer] = rig.lines(batch.output_file_id)
    assert answer["response"]["body"]["data"][0]["embedding"] == [0.5, -0.25]
    assert [r["path"] for r in stub.requests] == ["/v1/embeddings"]
    assert batch.usage.input_tokens == 2


def test_a_restart_while_the_upstream_answers_loses_nothing(rig: Rig, stub: UpstreamStub) -> None:
    rig.start(stub.url)
    batch = rig.create(chat_line("q0", "first"), chat_line("q1", "slow:4"), chat_line("q2", "last"))
    rig.admin.advance(60)
    deadline = time.monotonic() + 20
    while not any(UpstreamStub.text(body) == "slow:4" for body in stub.bodies()):
        assert time.monotonic() < deadline, rig.server.output()
        time.sleep(0.05)
    assert rig.server.stop(timeout=10) == 0, rig.server.output()
    rig.server.spawn()
    batch = rig.settled(batch.id)
    assert (batch.status, batch.request_counts.completed, batch.request_counts.failed) == ("completed", 3, 0)
    assert [line["custom_id"] for line in rig.lines(batch.output_file_id)] == ["q0", "q1", "q2"]
    files = [f for f in rig.client.files.list(purpose="batch_output")]
    assert len(files) == 1, files


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--batch-upstream", "ftp://127.0.0.1:9"], "batchUpstream must be an http:// or https:// URL"),
        (["--batch-upstream", "not a url"], "batchUpstream must be an http:// or https:// URL"),
        (["--batch-upstream", "http://127.0.0.1:9?x=1"], "batchUpstream must be an http:// or https:// URL"),
        (["--batch-upstream", "http://127.0.0.1:9", "--batch-upstream-concurrency", "0"], "batchUpstreamConcurrency must be between 1 and 1024"),
        (["--batch-upstream", "http://127.0.0.1:9", "--batch-upstream-timeout", "0"], "batchUpstreamTimeoutSeconds must be positive"),
    ],
)
def test_a_bad_upstream_setting_stops_the_server_at_start(tmp_path: Path, args: list[str], words: str) -> None:
    binary = Server(tmp_path / "data", tmp_path / "logs").binary
    done = subprocess.run([str(binary), "serve", "--port", "0", "--data-dir", str(tmp_path / "data"), *args],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 78, done
    assert done.stderr.count("\n") == 1 and words in done.stderr, done.stderr


def test_the_key_comes_from_the_environment_and_is_never_logged(rig: Rig, stub: UpstreamStub) -> None:
    rig.start(stub.url, "--log-level", "debug")
    batch = rig.create(chat_line("q0"))
    rig.admin.advance(60)
    assert rig.settled(batch.id).status == "completed"
    assert stub.requests[0]["headers"]["Authorization"] == f"Bearer {KEY}"
    assert KEY not in rig.server.output(limit=10_000_000)
