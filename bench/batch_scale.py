"""Batch scale (issue 33): a batch of many chat lines from `POST /v1/batches` to `completed` with its
output file listed, the clock frozen and then moved past the batch's end, against a plain Python loop
over the same file that parses each line and writes an answer line of the same shape. Row "10 rss": the
server's peak RSS growth while a batch of large lines (200 MB in a full run) is validated and answered:
the input is read as a stream and the output written as one, so memory must not follow the file.

The server answers `GET /v1/batches/{id}` after making the result files of a batch whose end has
passed (the background settler may get there first; either way the time is the server's work).
Creating validates every line; settling reads the input again and answers each line, so the row is
two passes over the file against the reference's one.
"""

from __future__ import annotations

import json
import os
import statistics
import time
import urllib.parse
from pathlib import Path

from client import connection, get_json, sendfile_multipart
from procstats import RSSMonitor, cpu_seconds, cpu_ticks, wait_idle
from report import row
from session import BenchError, BenchServer, Session, log
from settings import AUTH

ROW = "10"
# A frozen clock at a known second; moving it an hour ends any batch of 50,000 lines
# (validating 1 s, 10 ms a line, finalizing 1 s: the default timings).
FROZEN_AT = 2_000_000_000
ADVANCE_SECONDS = 3600


def measure(session: Session) -> None:
    lines, big_bytes = session.size["batch_lines"], session.size["batch_big_bytes"]
    runs = session.size["batch_runs"]
    chat = chat_file(session.work, lines)
    big = chat_file(session.work, lines, line_bytes=big_bytes // lines)
    store = session.work / "store-batches"
    srv = session.server(store, "batches")
    srv.start()
    try:
        wait_idle(srv.pid)
        post_json(srv.base, "/admin/clock", {"now": FROZEN_AT, "frozen": True})
        chat_id = upload(srv.base, chat)
        log(f"row {ROW}: {lines:,} chat lines ({chat.stat().st_size / 1e6:.1f} MB), create to completed vs a Python loop, {runs} runs each")
        mine_runs, ref_runs, ref_cpu, phases = [], [], [], []
        for i in range(runs):
            wall, cpu = python_loop(chat, session.work / "reference-answers.jsonl")
            ref_runs.append(wall)
            ref_cpu.append(cpu)
            wait_idle(srv.pid)
            seconds, phase = create_to_completed(srv, chat_id, lines)
            mine_runs.append(seconds)
            phases.append(phase)
            log(f"  run {i + 1}: mockfiles {seconds:.2f} s (create {phase['create_s']:.2f}, to completed {phase['settle_s']:.2f}, "
                f"server CPU {phase['server_cpu_s']:.2f} s), Python loop {wall:.2f} s (CPU {cpu:.2f} s)")
        mine, ref = statistics.median(mine_runs), statistics.median(ref_runs)
        # Beside the wall-clock ratio, CPU seconds: steadier than wall time on a shared machine.
        server_cpu = statistics.median(p["server_cpu_s"] for p in phases)
        session.rows.append(row(
            ROW, f"batch of {lines:,} chat lines: POST /v1/batches to completed, clock moved (seconds)", "s",
            round(mine, 2), round(ref, 2), "Python: json.loads each line, json.dumps an answer line, one file",
            ">=", 1.0, "≥ 1 × the loop", ratio=ref / mine,
            details=dict(runs_s=[round(x, 3) for x in mine_runs], reference_runs_s=[round(x, 3) for x in ref_runs],
                         reference_cpu_s=[round(x, 3) for x in ref_cpu], server_cpu_s=server_cpu,
                         cpu_ratio=round(statistics.median(ref_cpu) / server_cpu, 3) if server_cpu else None,
                         phases=phases, input_bytes=chat.stat().st_size, lines=lines,
                         ratio_is="reference seconds / mockfiles seconds")))

        big_id = upload(srv.base, big)
        log(f"row {ROW} rss: {lines:,} lines of {big.stat().st_size / 1e6:.0f} MB, create to completed")
        wait_idle(srv.pid)
        rss = RSSMonitor(srv.pid)
        with rss:
            seconds, phase = create_to_completed(srv, big_id, lines)
        log(f"  {seconds:.2f} s (create {phase['create_s']:.2f}, to completed {phase['settle_s']:.2f}), RSS +{rss.growth_mib:.1f} MiB")
        session.rows.append(row(
            f"{ROW} rss", f"batch of {big.stat().st_size / 1e6:.0f} MB / {lines:,} lines: server peak RSS growth, create to completed",
            "MiB", round(rss.growth_mib, 1), None, None, "<=", 64, "≤ 64 MiB", against="value",
            details=dict(rss=rss.summary(), seconds=round(seconds, 3), phases=phase, input_bytes=big.stat().st_size)))
    finally:
        srv.stop()


def create_to_completed(srv: BenchServer, input_id: str, lines: int) -> tuple[float, dict]:
    """Creates a batch of `input_id`, moves the clock past its end and polls it until `completed`
    with its output file listed; checks the counts and the output's line count. Seconds and phases."""
    ticks = cpu_ticks(srv.pid)
    started = time.perf_counter()
    batch = post_json(srv.base, "/v1/batches", {"input_file_id": input_id, "endpoint": "/v1/chat/completions",
                                                 "completion_window": "24h"})
    created = time.perf_counter()
    post_json(srv.base, "/admin/clock", {"advance_seconds": ADVANCE_SECONDS})
    # The first GET makes the result files before it answers: a long wait on a loaded machine.
    conn = connection(srv.base, timeout=1800)
    try:
        while True:
            done, _ = get_json(srv.base, f"/v1/batches/{batch['id']}", conn)
            if done["status"] == "completed" and done.get("output_file_id"):
                break
            if done["status"] in ("failed", "expired", "cancelled"):
                raise BenchError(f"batch {batch['id']} ended {done['status']}: {json.dumps(done.get('errors'))[:300]}")
            time.sleep(0.01)
    finally:
        conn.close()
    listed, _ = get_json(srv.base, "/v1/files?" + urllib.parse.urlencode(dict(purpose="batch_output", limit=100)))
    finished = time.perf_counter()
    cpu = cpu_seconds(srv.pid, ticks)
    if done["output_file_id"] not in {f["id"] for f in listed["data"]}:
        raise BenchError(f"the output file {done['output_file_id']} of {batch['id']} is not listed")
    counts = done["request_counts"]
    if (counts["total"], counts["completed"], counts["failed"]) != (lines, lines, 0):
        raise BenchError(f"batch {batch['id']}: request_counts {counts}, expected {lines} completed")
    count_output_lines(srv.base, done["output_file_id"], lines)
    return finished - started, dict(create_s=round(created - started, 3), settle_s=round(finished - created, 3),
                                    server_cpu_s=round(cpu, 2))


def count_output_lines(base: str, file_id: str, lines: int) -> None:
    conn = connection(base, timeout=300)
    try:
        conn.request("GET", f"/v1/files/{file_id}/content", headers={"Authorization": AUTH})
        resp = conn.getresponse()
        content = resp.read()
    finally:
        conn.close()
    count = content.count(b"\n")
    if resp.status != 200 or count != lines:
        raise BenchError(f"output {file_id}: status {resp.status}, {count} lines, expected {lines}")
    first = json.loads(content[:content.index(b"\n")])
    if first["response"]["status_code"] != 200 or first["response"]["body"]["object"] != "chat.completion":
        raise BenchError(f"output {file_id}: first line {json.dumps(first)[:300]}")


def python_loop(source: Path, target: Path) -> tuple[float, float]:
    """The reference: each line parsed and answered with a line of the output's shape (ids, the answer
    text quoting the question, token counts), written to one file and fsynced at the end. Wall and CPU seconds."""
    started, cpu = time.perf_counter(), time.process_time()
    with open(source, "rb") as lines, open(target, "w") as out:
        for number, raw in enumerate(lines):
            request = json.loads(raw)
            words = request["body"]["messages"][-1]["content"].split()[:8]
            text = f"This is a mock answer from mockfiles to: \"{' '.join(words)}\""
            prompt, completion = (len(raw) + 3) // 4, (len(text) + 3) // 4
            answer = {"id": f"batch_req_{number:032x}", "custom_id": request["custom_id"], "response": {
                "status_code": 200, "request_id": f"{number:08x}-0000-0000-0000-000000000000", "body": {
                    "id": f"chatcmpl-{number:029d}", "object": "chat.completion", "created": FROZEN_AT,
                    "model": request["body"]["model"], "choices": [{"index": 0, "message": {
                        "role": "assistant", "content": text, "refusal": None, "annotations": []},
                        "logprobs": None, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
                    "service_tier": "default", "system_fingerprint": "fp_0000000000"}}, "error": None}
            out.write(json.dumps(answer, ensure_ascii=False))
            out.write("\n")
        out.flush()
        os.fsync(out.fileno())
    return time.perf_counter() - started, time.process_time() - cpu


def chat_file(work: Path, lines: int, line_bytes: int = 0) -> Path:
    """`lines` chat requests, one user message each; with `line_bytes`, each line padded to about that
    size with a longer message. Kept in the work dir for the next run."""
    path = work / (f"batch-chat-{lines}.jsonl" if not line_bytes else f"batch-chat-{lines}-{line_bytes}.jsonl")
    if path.exists():
        return path
    work.mkdir(parents=True, exist_ok=True)
    words = "the quick brown fox jumps over a lazy dog while seven wizards quietly judge boxing ".split()
    with open(path, "w") as f:
        for i in range(lines):
            text = f"Question {i}: what is {i % 97} plus {i % 89}?"
            if line_bytes:
                pad = " ".join(words[(i + k) % len(words)] for k in range(line_bytes // 5))
                text = (text + " " + pad)[: max(len(text), line_bytes - 160)]
            body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]}
            if i % 3 == 0:
                body["max_tokens"] = 200
            f.write(json.dumps({"custom_id": f"request-{i}", "method": "POST", "url": "/v1/chat/completions", "body": body}) + "\n")
    return path


def upload(base: str, path: Path) -> str:
    status, _, body = sendfile_multipart(base, path, path.stat().st_size, purpose="batch", filename=path.name)
    if status != 200:
        raise BenchError(f"POST /v1/files ({path.name}, purpose batch): expected 200, got {status}: {body[:300]!r}")
    return json.loads(body)["id"]


def post_json(base: str, path: str, value: dict) -> dict:
    conn = connection(base, timeout=1800)
    try:
        conn.request("POST", path, body=json.dumps(value), headers={"Authorization": AUTH, "Content-Type": "application/json"})
        resp = conn.getresponse()
        body = resp.read()
    finally:
        conn.close()
    if resp.status != 200:
        raise BenchError(f"POST {path}: expected 200, got {resp.status}: {body[:300]!r}")
    return json.loads(body)
