"""What operators read: /metrics after known traffic, one log line per request (text and JSON),
and the server's own OpenAPI document at /openapi.yaml."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import httpx2
import jsonschema
import openai
import pytest
import yaml
from mockfiles_kit import Server

from helpers import BatchRig, chat_line


def scrape(server: Server, port: int | None = None) -> dict[str, float]:
    """`name{labels}` -> value for every sample of the exposition (of the instance on `port`, when given)."""
    root = server.root_url if port is None else server.root_url.rsplit(":", 1)[0] + f":{port}"
    response = httpx2.get(f"{root}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples: dict[str, float] = {}
    for line in response.text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            samples[key] = float(value)
    return samples


def test_metrics_count_known_traffic(start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI]) -> None:
    server = start_server()
    client = make_client(server.base_url)
    kept = client.files.create(file=("a.jsonl", b'{"a": 1}\n' * 100), purpose="batch")
    gone = client.files.create(file=("b.txt", b"x" * 5000), purpose="user_data")
    client.files.create(file=("c.txt", b"y" * 7), purpose="user_data")
    client.files.delete(gone.id)
    for _ in range(3):
        client.files.retrieve(kept.id)
    assert client.files.content(kept.id).read() == b'{"a": 1}\n' * 100
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve("file-missing")
    httpx2.post(f"{server.root_url}/admin/faults", json={"status": 503, "times": 1, "path": "/v1/files"}, timeout=5).raise_for_status()
    with pytest.raises(openai.InternalServerError):
        client.files.list()

    deadline = time.monotonic() + 5
    while True:  # durations are recorded once a body is written, just after the client has it
        m = scrape(server)
        if m.get('mockfiles_http_request_duration_seconds_count{route="/v1/files/{id}/content",method="GET"}') == 1 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert m['mockfiles_http_requests_total{route="/v1/files",method="POST",status="200"}'] == 3
    assert m['mockfiles_http_requests_total{route="/v1/files/{id}",method="GET",status="200"}'] == 3
    assert m['mockfiles_http_requests_total{route="/v1/files/{id}",method="GET",status="404"}'] == 1
    assert m['mockfiles_http_requests_total{route="/v1/files/{id}",method="DELETE",status="200"}'] == 1
    assert m['mockfiles_http_requests_total{route="/v1/files",method="GET",status="503"}'] == 1
    assert m['mockfiles_faults_fired_total{kind="error"}'] == 1
    assert m['mockfiles_http_request_duration_seconds_count{route="/v1/files/{id}",method="GET"}'] == 4
    assert m['mockfiles_http_request_duration_seconds_bucket{route="/v1/files/{id}",method="GET",le="+Inf"}'] == 4
    assert m['mockfiles_http_response_bytes_total{route="/v1/files/{id}/content",method="GET"}'] == 900
    assert m['mockfiles_http_request_bytes_total{route="/v1/files",method="POST"}'] > 900 + 5000 + 7
    assert m['mockfiles_files_stored{purpose="batch"}'] == 1
    assert m['mockfiles_bytes_stored{purpose="batch"}'] == 900
    assert m['mockfiles_files_stored{purpose="user_data"}'] == 2 - 1
    assert m['mockfiles_bytes_stored{purpose="user_data"}'] == 7
    assert m['mockfiles_files_stored{purpose="vision"}'] == 0

    httpx2.post(f"{server.root_url}/admin/sweep", json={}, timeout=5).raise_for_status()
    assert scrape(server)["mockfiles_sweeper_runs_total"] >= 1


def test_batch_metrics_move_as_batches_are_made_and_settle(
    start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client]
) -> None:
    rig = BatchRig.start(start_server, make_client, make_raw, timings="validating=1s,line=10s,finalizing=1s,cancelling=1s")
    rig.freeze(2_000_000_000)
    refused = {"custom_id": "refused", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o-mini"}}
    done = rig.create(chat_line("a"), chat_line("b"), refused)
    cancelled = rig.create(*(chat_line(f"c{n}") for n in range(5)), endpoint="/v1/chat/completions")
    rig.client.batches.create(input_file_id=rig.upload(chat_line("e")), endpoint="/v1/embeddings", completion_window="24h")  # url_mismatch
    m = scrape(rig.server)
    assert m['mockfiles_batches_created_total{endpoint="/v1/chat/completions",validation="passed"}'] == 2
    assert m['mockfiles_batches_created_total{endpoint="/v1/embeddings",validation="failed"}'] == 1
    assert not any(key.startswith("mockfiles_batches_settled_total") for key in m), "nothing has settled yet"

    rig.advance(1 + 25)  # validated, two lines of the five run (at +11, +21)
    rig.client.batches.cancel(cancelled.id)
    rig.advance(3600)
    assert rig.client.batches.retrieve(done.id).status == "completed"
    assert rig.client.batches.retrieve(cancelled.id).status == "cancelled"
    m = scrape(rig.server)
    assert m['mockfiles_batches_settled_total{status="completed"}'] == 1
    assert m['mockfiles_batches_settled_total{status="cancelled"}'] == 1
    # Answered 200: two of `done`, two of `cancelled`; the error file: one refusal, three lines never run.
    assert m['mockfiles_batch_result_lines_total{file="output"}'] == 2 + 2
    assert m['mockfiles_batch_result_lines_total{file="error"}'] == 1 + 3
    assert m["mockfiles_batch_results_duration_seconds_count"] == 2
    assert m['mockfiles_batch_results_duration_seconds_bucket{le="+Inf"}'] == 2
    # Read again, a settled batch is not counted twice.
    rig.client.batches.retrieve(done.id)
    assert scrape(rig.server)['mockfiles_batches_settled_total{status="completed"}'] == 1


def request_lines(server: Server) -> list[str]:
    return [line for line in (server.log_dir / "stderr.log").read_text().splitlines() if "request" in line]


def test_json_logs_have_one_line_per_request(start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI]) -> None:
    server = start_server("--log-format", "json")
    client = make_client(server.base_url)
    created = client.files.create(file=("log.txt", b"12345"), purpose="user_data")
    response = client.files.with_raw_response.retrieve(created.id)
    request_id = response.headers["x-request-id"]

    deadline = time.monotonic() + 5
    lines: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        text = (server.log_dir / "stderr.log").read_text()
        lines = [json.loads(line) for line in text.splitlines() if line.strip()]  # every line is JSON
        if any(entry.get("request_id") == request_id for entry in lines):
            break
        time.sleep(0.05)
    requests = [entry for entry in lines if entry["message"] == "request"]
    assert [(e["method"], e["path"], e["status"]) for e in requests] == [
        ("POST", "/v1/files", 200),
        ("GET", f"/v1/files/{created.id}", 200),
    ]
    retrieve = requests[1]
    assert retrieve["request_id"] == request_id
    assert retrieve["level"] == "info" and retrieve["logger"] == "mockfiles"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", str(retrieve["time"]))
    assert isinstance(retrieve["duration_ms"], float) and retrieve["duration_ms"] >= 0
    assert retrieve["object_id"] == created.id
    assert requests[0]["bytes_in"] > 5 and requests[0]["object_id"] == created.id
    assert "sk-test" not in (server.log_dir / "stderr.log").read_text(), "API keys never reach the log"


def test_text_logs_have_one_line_per_request(start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI]) -> None:
    server = start_server()
    response = make_client(server.base_url).files.with_raw_response.list()
    request_id = response.headers["x-request-id"]
    deadline = time.monotonic() + 5
    while not any(request_id in line for line in request_lines(server)) and time.monotonic() < deadline:
        time.sleep(0.05)
    [line] = [line for line in request_lines(server) if request_id in line]
    assert "info mockfiles" in line and "method=GET" in line and "path=/v1/files" in line and "status=200" in line


def test_log_format_must_be_known(tmp_path_factory: pytest.TempPathFactory) -> None:
    with pytest.raises(RuntimeError, match="logFormat 'xml' is not text or json"):
        Server.start(tmp_path_factory.mktemp("bad"), tmp_path_factory.mktemp("bad-logs"), ["--log-format", "xml"])


def test_openapi_document_is_served(start_server: Callable[..., Server]) -> None:
    server = start_server()
    response = httpx2.get(f"{server.root_url}/openapi.yaml", timeout=5)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/yaml"
    document = yaml.safe_load(response.text)
    assert document["openapi"].startswith("3.1")
    for path in ("/v1/files", "/v1/files/{file_id}/content", "/v1/uploads/{upload_id}/complete", "/health"):
        assert path in document["paths"]


def test_the_served_document_describes_the_batch_answers(
    start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client]
) -> None:
    """Every Batch object the server writes, in each status, and its list and errors, fit the schemas of
    its own /openapi.yaml (schemathesis sees few of them: it cannot make a valid input file)."""
    rig = BatchRig.start(start_server, make_client, make_raw, timings="validating=1s,line=10s,finalizing=1s,cancelling=1s")
    document = yaml.safe_load(httpx2.get(f"{rig.server.root_url}/openapi.yaml", timeout=5).text)
    for path in ("/v1/batches", "/v1/batches/{batch_id}", "/v1/batches/{batch_id}/cancel"):
        assert path in document["paths"], path

    def validate(name: str, instance: Any) -> None:
        jsonschema.Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": document["components"]}).validate(instance)

    rig.freeze(2_000_000_000)
    refused = {"custom_id": "refused", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o-mini"}}
    made = [
        rig.create(chat_line("a"), refused, metadata={"k": "v"}, output_expires_after={"anchor": "created_at", "seconds": 3600}).id,
        rig.client.batches.create(input_file_id=rig.upload(chat_line("b"), "{not json"), endpoint="/v1/chat/completions", completion_window="24h").id,
        rig.create(chat_line("c")).id,
    ]
    seen: set[str] = set()
    for step in (0, 0.5, 1.01, 3600):  # the clock at +0, +0.5 (cancel), +1.51, +3601.51
        rig.advance(step)
        if step == 0.5:
            answer = rig.client.batches.with_raw_response.cancel(made[2]).http_response
            validate("Batch", answer.json())
        for batch_id in made:
            b = rig.wire(batch_id)
            validate("Batch", b)
            seen.add(b["status"])
        validate("BatchList", rig.client.batches.with_raw_response.list(limit=100).http_response.json())
    assert seen == {"validating", "in_progress", "completed", "failed", "cancelling", "cancelled"}, seen
    for method, path in (("GET", "/batches/batch_missing"), ("POST", "/batches/batch_missing/cancel"), ("POST", "/batches")):
        r = httpx2.request(method, f"{rig.server.base_url}{path}", headers={"Authorization": "Bearer sk-test"}, json={} if method == "POST" else None)
        assert r.status_code in (400, 404), r.text
        validate("ErrorResponse", r.json())
