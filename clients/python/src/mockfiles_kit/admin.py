"""A thin client for mockfiles' admin API (/admin/): reset, faults, batch rules, clock, request log, verification,
files, snapshots, sweep.

Its answers are mockfiles' own JSON, not OpenAI objects. It runs on an httpx2 client the caller makes
(the acceptance suite's carries its wire checker, which leaves /admin/ alone), and every call asserts the
status it wants, so a test reads as the calls it makes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2

from .server import Server


WRITES = {"POST", "PUT", "PATCH"}


class Admin:
    """The admin API of one server, through `http` (based on the server's root URL)."""

    def __init__(self, http: httpx2.Client) -> None:
        self.http = http

    @classmethod
    def of(cls, make_raw: Callable[..., httpx2.Client], server: Server, token: str | None = None) -> Admin:
        """Admin client for `server`; `token` is sent as `Authorization: Bearer` when given."""
        return cls(make_raw(server, api_key=token))

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, *, want: int = 200) -> Any:
        """Writes always carry a JSON body (`{}` when there is nothing to say): the admin API refuses
        POST/PUT/PATCH without `Content-Type: application/json` (415), as a browser boundary."""
        if body is None and method.upper() in WRITES:
            body = {}
        r = self.http.request(method, path, json=body)
        assert r.status_code == want, f"{method} {path} {body or ''} -> {r.status_code}, want {want}: {r.text[:500]}"
        assert r.headers.get("content-type", "").startswith("application/json"), r.headers
        return r.json()

    # reset and sweep
    def reset(self) -> dict[str, Any]:
        return self.call("POST", "/admin/reset")

    def sweep(self) -> dict[str, Any]:
        return self.call("POST", "/admin/sweep")

    # faults
    def add_fault(self, **rule: Any) -> dict[str, Any]:
        return self.call("POST", "/admin/faults", rule)

    def faults(self) -> list[dict[str, Any]]:
        answer = self.call("GET", "/admin/faults")
        assert answer["object"] == "list", answer
        return answer["data"]

    def fault(self, fault_id: str) -> dict[str, Any]:
        found = [f for f in self.faults() if f["id"] == fault_id]
        assert len(found) == 1, f"fault {fault_id} not listed once: {self.faults()}"
        return found[0]

    def remove_fault(self, fault_id: str) -> dict[str, Any]:
        return self.call("DELETE", f"/admin/faults/{fault_id}")

    def clear_faults(self) -> dict[str, Any]:
        return self.call("DELETE", "/admin/faults")

    # batch rules
    def add_batch_rule(self, **rule: Any) -> dict[str, Any]:
        """`POST /admin/batch-rules`: `match=...` and a line action (`answer`, `error`, `delay_ms`) or
        a batch action (`fail`, `expire_after_lines`, `cancel_after_lines`, `schedule`)."""
        return self.call("POST", "/admin/batch-rules", rule)

    def batch_rules(self) -> list[dict[str, Any]]:
        answer = self.call("GET", "/admin/batch-rules")
        assert answer["object"] == "list", answer
        return answer["data"]

    def remove_batch_rule(self, rule_id: str) -> dict[str, Any]:
        return self.call("DELETE", f"/admin/batch-rules/{rule_id}")

    def clear_batch_rules(self) -> dict[str, Any]:
        return self.call("DELETE", "/admin/batch-rules")

    # clock
    def clock(self) -> dict[str, Any]:
        return self.call("GET", "/admin/clock")

    def set_clock(self, **body: Any) -> dict[str, Any]:
        return self.call("POST", "/admin/clock", body)

    def advance(self, seconds: float) -> dict[str, Any]:
        return self.set_clock(advance_seconds=seconds)

    # files of every tenant
    def files(self, **filters: Any) -> dict[str, Any]:
        """One page of `GET /admin/files` (tenant, purpose, filename glob, sha256, created_since, limit,
        after): each file with its tenant, sha256 and the content type sent."""
        query = {name: value for name, value in filters.items() if value is not None}
        r = self.http.get("/admin/files", params=query)
        assert r.status_code == 200, f"GET /admin/files {query} -> {r.status_code}: {r.text[:500]}"
        return r.json()

    # snapshots
    def save_snapshot(self, path: Path | str) -> Path:
        """Streams `GET /admin/snapshot` into `path` (a .tar of the whole state) and returns it."""
        path = Path(path)
        with self.http.stream("GET", "/admin/snapshot") as r:
            assert r.status_code == 200, f"GET /admin/snapshot -> {r.status_code}: {r.read()[:500]!r}"
            with path.open("wb") as out:
                for chunk in r.iter_bytes():
                    out.write(chunk)
        return path

    def restore_snapshot(self, path: Path | str, *, want: int = 200) -> dict[str, Any]:
        """Streams the archive at `path` to `POST /admin/snapshot`: the state becomes the archive's, or
        (a bad archive, `want=400`) stays as it was. Returns the answer's JSON."""

        def chunks() -> Iterator[bytes]:
            with Path(path).open("rb") as archive:
                while chunk := archive.read(1 << 20):
                    yield chunk

        r = self.http.post("/admin/snapshot", content=chunks(), headers={"content-type": "application/x-tar"})
        assert r.status_code == want, f"POST /admin/snapshot {path} -> {r.status_code}, want {want}: {r.text[:500]}"
        return r.json()

    # request log and verification
    def journal(self, **filters: Any) -> dict[str, Any]:
        """One page of the request log: filters as `GET /admin/requests` names them (method, path,
        status, tenant, api_key_hint, object_id, since, until, limit, after, order). The answer has
        `data`, `has_more` and `dropped`."""
        query = {name: value for name, value in filters.items() if value is not None}
        r = self.http.get("/admin/requests", params=query)
        assert r.status_code == 200, f"GET /admin/requests {query} -> {r.status_code}: {r.text[:500]}"
        answer = r.json()
        assert answer["object"] == "list", answer
        return answer

    def requests(self, limit: int | None = None, *, path: str | None = None, **filters: Any) -> list[dict[str, Any]]:
        """Logged API requests, newest first; only those to exactly `path` when given."""
        entries = self.journal(limit=limit, **filters)["data"]
        return [e for e in entries if path is None or e["path"] == path]

    def verify(self, **expectation: Any) -> int:
        """Asserts how many logged requests match: filters as in `journal`, plus `count`, `at_least`
        or `at_most` (none: at least one). Returns the count; raises `VerificationError` (an
        AssertionError) whose message lists the closest requests when the count is wrong."""
        r = self.http.post("/admin/verify", json=expectation)
        if r.status_code == 409:
            raise VerificationError(r.json())
        assert r.status_code == 200, f"POST /admin/verify {expectation} -> {r.status_code}: {r.text[:500]}"
        return int(r.json()["matched"])


class VerificationError(AssertionError):
    """A failed `POST /admin/verify`: the server's message, then each near miss and what it missed."""

    def __init__(self, report: dict[str, Any]) -> None:
        self.report = report
        self.matched: int = report["matched"]
        self.near_misses: list[dict[str, Any]] = report["near_misses"]
        lines = [report["error"]["message"]]
        for miss in self.near_misses:
            entry = miss["request"]
            lines.append(f"  near miss: {entry['method']} {entry['path']} -> {entry['status']} (differs in {', '.join(miss['failed'])})")
        for entry in report["matches"]:
            lines.append(f"  matched: {entry['method']} {entry['path']} -> {entry['status']}")
        super().__init__("\n".join(lines))
