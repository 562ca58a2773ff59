"""Replays sessions recorded against the real service (openai/openai-dotnet, tests/SessionRecords) and
asserts that mockfiles answers them as the service did: status, the headers listed, and the body's exact
bytes (issues 30 and 33).

Each file in recordings/ describes one session in our own words (no recording is copied): a `source`
naming the recordings and commits it reflects, then `steps`. A step sends a request (method, path, a JSON
body, a multipart body given part by part, or an empty body) and gives the expected status, headers and
body. The body is a template in the service's key order; a string `"<name>"` in it is a placeholder for
an id or a time, declared in `placeholders` with its kind, bound the first time it is met and the same
value wherever it appears again (`"<name+N>"`: that value plus N). The rendered template, written as the
service writes JSON, must equal the answer's bytes, so layout, key order, types and texts are all checked
at once. The service's layout is indent 2, raw UTF-8 and a final newline, except where a step names
another in `service_layout`: `indent2` (no final newline: every Batch answer and list) or `compact` (`,`
and `:`, no newline: the Batch cancel answer). `recorded_content_length` and `recorded_request_length`
are the Content-Lengths in the recording where the replay's bytes are the same size by construction
(checked offline here too, so a fixture that strays from its recording fails without a server). A step's
`absent_headers` adds to the fixture's (the recorded Batch answers carry no CORS headers, the file
uploads beside them do).

A step `{"clock": {...}}` sends that body to `POST /admin/clock` instead of replaying a request: the
service took minutes or hours between some states (a cancel settles 605-608 s later), mockfiles' clock is
moved instead. Times are then checked against the server's clock, not the wall's. `server_args` start the
session's server with those flags (a schedule whose stages take the recorded spans). The batches session
skips no recorded step; its `notes` say which clock moves stand for which recorded spans, and what of the
Batch recordings is not replayed and why (an account's history of 116 pages, answers never recorded).

Each session runs on a fresh server of its own, in the order written, with httpx2 as the client.
"""

from __future__ import annotations

import difflib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mockfiles_kit import Server
from mockfiles_kit.admin import Admin

from helpers import service_json

RECORDINGS = Path(__file__).parent / "recordings"
SESSIONS = sorted(p.stem for p in RECORDINGS.glob("*.json"))
PLACEHOLDER = re.compile(r"<([a-z][a-z0-9_]*)(?:\+([0-9]+))?>")

# What each kind of placeholder must look like where it is first bound.
ID_SHAPES = {
    "file_id": re.compile(r"file-[1-9A-HJ-NP-Za-km-z]{22}"),  # base58 (FilesTests/ListFiles, 2026-05-28)
    "upload_id": re.compile(r"upload_[0-9a-f]{8}[0-9a-f]{4}8191[0-9a-f]{16}"),  # UploadsTests, 2025-09-29
    "part_id": re.compile(r"part_[0-9a-f]{8}[0-9a-f]{4}8191[0-9a-f]{16}"),
    # 2,048 of 2,116 recorded batch ids since 2024-09 (BatchTests, 2025-09-16 ... 2025-10-31).
    "batch_id": re.compile(r"batch_[0-9a-f]{8}[0-9a-f]{4}8190[0-9a-f]{16}"),
}
# Ids whose first 8 hex digits are the object's created_at.
TIME_PREFIXED = ("upload_id", "part_id", "batch_id")
TIME_SLACK = 600  # seconds between the server's clock (as its clock steps moved it) and ours


def load(name: str) -> dict[str, Any]:
    return json.loads((RECORDINGS / f"{name}.json").read_text(encoding="utf-8"))


def png_stand_in(size: int) -> bytes:
    """A stand-in for the recordings' images_dog_and_cat.png: the PNG signature, then bytes that repeat."""
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + bytes(i % 251 for i in range(size - len(signature)))


def content_of(spec: dict[str, Any]) -> bytes:
    """The bytes a part or an expected raw body describes: `text` (UTF-8), `bytes` (a list) or `generated_png`."""
    if "text" in spec:
        return spec["text"].encode()
    if "bytes" in spec:
        return bytes(spec["bytes"])
    if "generated_png" in spec:
        return png_stand_in(spec["generated_png"])
    raise AssertionError(f"no content in {spec!r}")


def multipart(boundary: str, parts: list[dict[str, Any]]) -> bytes:
    """A multipart body as the .NET SDK writes it: each part's header lines as given, CRLF everywhere."""
    out = b""
    for part in parts:
        heads = b"".join(h.encode() + b"\r\n" for h in part["headers"])
        out += b"--" + boundary.encode() + b"\r\n" + heads + b"\r\n" + content_of(part) + b"\r\n"
    return out + b"--" + boundary.encode() + b"--\r\n"


@dataclass
class Bindings:
    """The values placeholders stand for, and the kinds they were declared with."""

    kinds: dict[str, str]
    values: dict[str, Any] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    clock_offset: float = 0.0  # the server's clock minus ours, after the session's clock steps
    began: float = field(default_factory=time.time)  # a time is between this and the server's now

    def value(self, name: str, plus: str | None) -> Any:
        assert name in self.values, f"placeholder <{name}> is used before any answer gave it a value"
        self.used.add(name)
        return self.values[name] + int(plus) if plus else self.values[name]

    def text(self, template: str) -> str:
        """Placeholders inside a string (a path) replaced by their values."""
        return PLACEHOLDER.sub(lambda m: str(self.value(m.group(1), m.group(2))), template)

    def fill(self, template: Any) -> Any:
        """The template with every whole-string placeholder replaced by its value (ints stay ints)."""
        if isinstance(template, str):
            m = PLACEHOLDER.fullmatch(template)
            return self.value(m.group(1), m.group(2)) if m else template
        if isinstance(template, dict):
            return {k: self.fill(v) for k, v in template.items()}
        if isinstance(template, list):
            return [self.fill(v) for v in template]
        return template

    def bind(self, template: Any, actual: Any, where: str) -> None:
        """Walks the template beside the answer and binds each placeholder met for the first time, after
        checking the value's kind; what differs otherwise is left to the byte comparison."""
        if isinstance(template, str) and (m := PLACEHOLDER.fullmatch(template)):
            name, plus = m.groups()
            if name in self.values or plus:
                return
            assert name in self.kinds, f"{where}: placeholder <{name}> is not declared in the fixture's placeholders"
            self.check_kind(self.kinds[name], actual, f"{where} <{name}>")
            self.values[name] = actual
        elif isinstance(template, dict) and isinstance(actual, dict):
            for key, sub in template.items():
                if key in actual:
                    self.bind(sub, actual[key], f"{where}.{key}")
            self.check_time_prefix(template, actual, where)
        elif isinstance(template, list) and isinstance(actual, list):
            for i, (sub, got) in enumerate(zip(template, actual)):
                self.bind(sub, got, f"{where}[{i}]")

    def check_kind(self, kind: str, value: Any, where: str) -> None:
        if kind == "unix_time":
            now = time.time() + self.clock_offset
            within = self.began - TIME_SLACK <= value <= now + TIME_SLACK
            assert type(value) is int and within, f"{where}: want a Unix time in seconds from {self.began:.0f} to {now:.0f}, got {value!r}"
        elif kind == "count":
            assert type(value) is int and value >= 0, f"{where}: want a count (an int of 0 or more), got {value!r}"
        else:
            assert isinstance(value, str) and ID_SHAPES[kind].fullmatch(value), f"{where}: {value!r} is not a {kind} ({ID_SHAPES[kind].pattern})"

    def check_time_prefix(self, template: dict[str, Any], actual: dict[str, Any], where: str) -> None:
        """An Upload's, Part's or Batch's id starts with its created_at in hex (upload_68cb2ab4... = 1758145204)."""
        m = PLACEHOLDER.fullmatch(template.get("id", "")) if isinstance(template.get("id"), str) else None
        if m is None or self.kinds.get(m.group(1)) not in TIME_PREFIXED:
            return
        ident, created = actual.get("id"), actual.get("created_at")
        if isinstance(ident, str) and type(created) is int:
            hex_time = ident.split("_", 1)[1][:8]
            assert int(hex_time, 16) == created, f"{where}: {ident} starts with {hex_time} ({int(hex_time, 16)}), want created_at {created} ({created:08x})"


def request_body(fixture: dict[str, Any], request: dict[str, Any], bindings: Bindings) -> tuple[bytes | None, dict[str, str]]:
    """The request's body and the headers that describe it, as the .NET client sends them."""
    if "multipart" in request:
        return multipart(fixture["boundary"], request["multipart"]), {"Content-Type": f'multipart/form-data; boundary="{fixture["boundary"]}"'}
    if "json" in request:
        # BinaryData.FromObjectAsJson: compact, in the order given.
        return json.dumps(bindings.fill(request["json"]), separators=(",", ":"), ensure_ascii=False).encode(), {"Content-Type": "application/json"}
    if request.get("empty_body"):
        return b"", {}
    return None, {}


def rendered(step: dict[str, Any], value: Any) -> bytes:
    """`value` in the layout the service wrote this step's answer in."""
    layout = step.get("service_layout")
    if layout == "indent2":
        return json.dumps(value, indent=2, ensure_ascii=False).encode()
    if layout == "compact":
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    assert layout is None, f"unknown service_layout {layout!r}"
    return service_json(value)


def byte_diff(expected: bytes, actual: bytes) -> str:
    lines = difflib.unified_diff(expected.decode(errors="replace").splitlines(), actual.decode(errors="replace").splitlines(), "expected (template)", "answered", lineterm="")
    return "\n".join(lines)


def assert_headers(fixture: dict[str, Any], step: dict[str, Any], response: httpx2.Response, where: str) -> None:
    expected = {**fixture["response_headers"], **step.get("headers", {})}
    got = response.headers
    wrong = {name: (value, got.get(name)) for name, value in expected.items() if got.get(name) != value}
    assert not wrong, f"{where}: headers (want, got): {wrong}"
    for name, pattern in fixture["response_header_patterns"].items():
        assert re.fullmatch(pattern, got.get(name, "")), f"{where}: {name} is {got.get(name)!r}, want {pattern}"
    present = [name for name in fixture["absent_headers"] + step.get("absent_headers", []) if name in got]
    assert not present, f"{where}: headers the recording never has: {present}"
    assert got.get("content-length") == str(len(response.content)), f"{where}: Content-Length {got.get('content-length')!r} for {len(response.content)} bytes"


def replay(fixture: dict[str, Any], http: httpx2.Client, admin: Admin) -> None:
    bindings = Bindings(kinds=fixture["placeholders"])
    for number, step in enumerate(fixture["steps"], 1):
        if "pause_seconds" in step:
            time.sleep(step["pause_seconds"])
            continue
        if "clock" in step:
            now = admin.set_clock(**step["clock"])["now"]
            bindings.clock_offset = now - time.time()
            continue
        request = step["request"]
        path = bindings.text(request["path"])
        where = f"step {number} ({step['recorded']}): {request['method']} {path}"
        body, body_headers = request_body(fixture, request, bindings)
        headers = {**fixture["client_headers"], **body_headers, **request.get("headers", {})}
        response = http.request(request["method"], path, content=body, headers=headers)
        assert response.status_code == step["status"], f"{where}: status {response.status_code}, want {step['status']}: {response.text[:600]}"
        assert_headers(fixture, step, response, where)
        if "raw_body" in step:
            want = content_of(step["raw_body"])
            assert response.content == want, f"{where}: {len(response.content)} bytes differ from the {len(want)} uploaded"
        else:
            try:
                actual = json.loads(response.content)
            except ValueError:
                raise AssertionError(f"{where}: not JSON: {response.content[:300]!r}") from None
            bindings.bind(step["body"], actual, where)
            want = rendered(step, bindings.fill(step["body"]))
            assert response.content == want, f"{where}: the answer's bytes differ from the recording's shape\n{byte_diff(want, response.content)}"
        if "recorded_content_length" in step:
            assert len(response.content) == step["recorded_content_length"], f"{where}: {len(response.content)} bytes, the recording has {step['recorded_content_length']}"
    unbound = set(fixture["placeholders"]) - set(bindings.values)
    assert not unbound, f"placeholders no answer gave a value: {sorted(unbound)}"


# ---------------------------------------------------------------- the fixtures themselves (no server)


def sample(kind: str) -> Any:
    """A value of the kind's size: what the recorded lengths are computed with."""
    return {
        "file_id": "file-" + "A" * 22,
        "upload_id": "upload_" + "0" * 12 + "8191" + "0" * 16,
        "part_id": "part_" + "0" * 12 + "8191" + "0" * 16,
        "batch_id": "batch_" + "0" * 12 + "8190" + "0" * 16,
        "unix_time": 1780006003,
        "count": 24,
    }[kind]


@pytest.mark.parametrize("name", SESSIONS)
def test_the_fixture_keeps_to_its_recording(name: str) -> None:
    """Every fixture cites its recordings, declares what it uses, and its requests and answers have the
    recorded lengths where they should (ids and times of the real ones' sizes)."""
    fixture = load(name)
    assert fixture["session"] == name
    assert fixture["source"] and all(
        s["recording"].startswith("openai/openai-dotnet tests/SessionRecords/") and re.fullmatch(r"\d{4}-\d\d-\d\d", s["date"]) for s in fixture["source"]
    )
    assert len(fixture["boundary"]) == 70, "the .NET SDK's boundaries are 70 characters: the recorded request lengths rely on it"
    bindings = Bindings(kinds=fixture["placeholders"], values={n: sample(k) for n, k in fixture["placeholders"].items()})
    for step in fixture["steps"]:
        assert [k for k in ("request", "clock", "pause_seconds") if k in step] in (["request"], ["clock"], ["pause_seconds"]), step
        assert "clock" not in step or step.get("why"), "a clock step says why the session needs it"
    steps = [s for s in fixture["steps"] if "request" in s]
    assert steps and all(s["recorded"] for s in steps)
    for step in steps:
        request = step["request"]
        bindings.text(request["path"])
        body, _ = request_body(fixture, request, bindings)
        if "recorded_request_length" in step:
            assert body is not None and len(body) == step["recorded_request_length"], f"{step['recorded']}: request of {len(body or b'')} bytes"
        if "body" in step:
            rendered(step, bindings.fill(step["body"]))  # every placeholder declared, every layout known
        if "recorded_content_length" in step:
            size = len(content_of(step["raw_body"])) if "raw_body" in step else len(rendered(step, bindings.fill(step["body"])))
            assert size == step["recorded_content_length"], f"{step['recorded']}: the template makes {size} bytes, the recording {step['recorded_content_length']}"
    assert bindings.used == set(fixture["placeholders"]), f"declared but unused: {sorted(set(fixture['placeholders']) - bindings.used)}"


def test_at_least_the_five_sessions_are_here() -> None:
    assert {"files", "uploads", "errors", "batch_file", "batches"} <= set(SESSIONS)


# ---------------------------------------------------------------- replays


@pytest.mark.parametrize("name", SESSIONS)
def test_replay(name: str, start_server: Callable[..., Server], make_raw: Callable[..., httpx2.Client]) -> None:
    fixture = load(name)
    server = start_server(*fixture.get("server_args", []))  # fresh: the lists hold only this session's objects
    replay(fixture, make_raw(server), Admin.of(make_raw, server))
