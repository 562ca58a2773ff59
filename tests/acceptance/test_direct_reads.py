"""The direct reads: `GET /v1/files/{id}` and `GET /v1/files` answered on the connection's event loop
(README "How a request is served") must be indistinguishable from the same requests answered by the
router: the same status, headers in the same order, body, request-log entries and metrics. A fault rule in
force, for a path none of these requests takes, sends every request through the router; the two runs are
compared, and the counter of direct answers shows which run took which path."""

from __future__ import annotations

import email.utils
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import httpx2
import pytest
from mockfiles_kit import Server
from mockfiles_kit.admin import Admin

from rawhttp import Conn, connector, request
import shared_pair
from test_observability import scrape

VOLATILE_HEADERS = {"x-request-id", "openai-processing-ms", "date"}  # date: checked apart
# In the shared mode the two runs' requests alternate between the instances from different turns.
VOLATILE_LOG_KEYS = {"seq", "request_id", "duration_ms", "timestamp"} | ({"instance"} if shared_pair.ENABLED else set())
DIRECT = "mockfiles_http_direct_answers_total"


@pytest.fixture(scope="module")
def direct(start_server: Callable[..., Server]) -> Server:
    """A server of its own: its request log, metrics and fault rules are read whole."""
    return start_server()


@pytest.fixture
def connect() -> Iterator[Callable[[Server], Conn]]:
    yield from connector()


def requests_to_compare(ids: list[str]) -> list[tuple[str, dict[str, str], bool]]:
    """(path, headers, answered directly when no fault rule is in force)."""
    return [
        (f"/v1/files/{ids[0]}", {}, True),
        ("/v1/files?limit=100", {}, True),  # about 1.6 KB: gzipped, since httpx2 accepts gzip
        ("/v1/files?limit=100", {"Accept-Encoding": "identity"}, True),
        (f"/v1/files?limit=2&order=asc&purpose=user_data&after={ids[1]}", {}, True),
        (f"/v1/files/{ids[2]}", {"OpenAI-Organization": "org-mockfiles"}, True),
        (f"/v1/files/{ids[4]}", {"OpenAI-Organization": "org-other", "OpenAI-Project": "proj_other"}, True),  # the tenant's headers
        ("/v1/files", {}, False),  # the default page (10,000) is too long a read for the event loop
        ("/v1/files/file-missing", {}, False),  # a 404
        ("/v1/files?limit=0", {}, False),  # a 400
        (f"/v1/files/{ids[3]}", {"Origin": "http://localhost:3000"}, False),  # CORS
        (f"/v1/files/{ids[5]}", {"Content-Encoding": "gzip"}, False),  # a 415 for a compressed body
    ]


def exchange(raw: httpx2.Client, path: str, headers: dict[str, str]) -> dict[str, Any]:
    r = raw.get(path, headers=headers)
    sent = email.utils.parsedate_to_datetime(r.headers["date"])
    assert abs((sent - datetime.now(timezone.utc)).total_seconds()) < 5 and r.headers["date"].endswith(" GMT"), r.headers["date"]
    raw_headers = [(name.decode().lower(), value.decode()) for name, value in r.headers.raw]
    return {
        "status": r.status_code,
        "header_names": [name for name, _ in raw_headers],
        "headers": [(name, value) for name, value in raw_headers if name not in VOLATILE_HEADERS],
        "body": r.content,  # bytes: one writer lays out every answer, errors included, in one key order
        "request_id": r.headers["x-request-id"],
    }


def route_series(samples: dict[str, float]) -> dict[str, float]:
    """The API routes' counters (durations differ by nature; their counts must not)."""
    kept = ("mockfiles_http_requests_total{", "mockfiles_http_response_bytes_total{", "mockfiles_http_request_duration_seconds_count{")
    return {key: value for key, value in samples.items() if key.startswith(kept) and '{route="/v1' in key}


def difference(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    return {key: value - before.get(key, 0) for key, value in after.items() if value != before.get(key, 0)}


def scrape_every_instance(server: Server) -> dict[str, float]:
    """The samples of every instance `server` stands for, summed: in the shared mode a client's requests
    alternate between the two of a pair, and each counts its own."""
    total: dict[str, float] = {}
    for port in shared_pair.ports_of(server):
        for key, value in scrape(server, port).items():
            total[key] = total.get(key, 0) + value
    return total


def scrape_when_counted(server: Server, before: dict[str, float], requests: int) -> dict[str, float]:
    """The router counts a request once its body is written, which can be just after the client has it."""
    deadline = time.monotonic() + 5
    while True:
        after = scrape_every_instance(server)
        counted = sum(v for k, v in difference(route_series(after), route_series(before)).items() if k.startswith("mockfiles_http_requests_total"))
        if counted >= requests or time.monotonic() > deadline:
            return after
        time.sleep(0.05)


def test_direct_answers_equal_the_routers(direct: Server, make_raw: Callable[..., httpx2.Client]) -> None:
    raw = make_raw(direct)
    admin = Admin.of(make_raw, direct)
    admin.reset()
    ids = [raw.post("/v1/files", files={"file": (f"d{n}.txt", b"x" * n)}, data={"purpose": "user_data"}).json()["id"] for n in range(6)]
    cases = requests_to_compare(ids)

    runs = []
    for fault_armed in (False, True):
        if fault_armed:
            admin.add_fault(method="DELETE", path="/v1/uploads/upload_never", status=500, times=1000)
        before = scrape_every_instance(direct)
        answers = [exchange(raw, path, headers) for path, headers, _ in cases]
        after = scrape_when_counted(direct, before, len(cases))
        log = admin.requests(limit=len(cases))[::-1]  # oldest first, as sent
        assert [entry["request_id"] for entry in log] == [answer["request_id"] for answer in answers]
        runs.append(
            {
                "answers": [{key: value for key, value in answer.items() if key != "request_id"} for answer in answers],
                "log": [{key: value for key, value in entry.items() if key not in VOLATILE_LOG_KEYS} for entry in log],
                "metrics": difference(route_series(after), route_series(before)),
                "direct": after.get(DIRECT, 0) - before.get(DIRECT, 0),
            }
        )
    plain, routed = runs
    assert plain["direct"] == sum(1 for *_, answered_directly in cases if answered_directly), "the plain reads were not answered directly"
    assert routed["direct"] == 0, "a fault rule in force must send every request through the router"
    for (path, _, _), one, other in zip(cases, plain["answers"], routed["answers"]):
        assert one == other, path
    assert plain["log"] == routed["log"]
    assert plain["metrics"] == routed["metrics"]
    assert plain["metrics"]['mockfiles_http_requests_total{route="/v1/files/{id}",method="GET",status="200"}'] == 4


def test_answers_keep_request_order_between_the_two_paths(direct: Server, make_raw: Callable[..., httpx2.Client], connect: Callable[[Server], Conn]) -> None:
    """Pipelined: direct, routed (a 404), direct, a download, direct. Each answer comes in its turn."""
    raw = make_raw(direct)
    Admin.of(make_raw, direct).clear_faults()
    small = raw.post("/v1/files", files={"file": ("s.txt", b"small")}, data={"purpose": "user_data"}).json()["id"]
    big = raw.post("/v1/files", files={"file": ("b.bin", b"y" * 2_000_000)}, data={"purpose": "vision"}).json()["id"]
    auth = "Authorization: Bearer sk-test"
    sequence = [f"/v1/files/{small}", "/v1/files/file-missing", "/v1/files?limit=1", f"/v1/files/{big}/content", f"/v1/files/{small}"]
    before = scrape(direct).get(DIRECT, 0)
    c = connect(direct)
    c.send(b"".join(request("GET", path, auth) for path in sequence))
    answers = [c.read_answer(10.0, method="GET", path=path) for path in sequence]
    assert [answer.status for answer in answers] == [200, 404, 200, 200, 200]
    assert answers[0].json()["id"] == small and answers[4].json()["id"] == small
    assert answers[2].json()["data"][0]["id"] == big
    assert len(answers[3].body) == 2_000_000
    # The first is answered directly; the others may be, when the answer before them has gone out.
    assert scrape(direct).get(DIRECT, 0) - before >= 1


@pytest.mark.skipif(not shared_pair.ENABLED, reason="the event loops' own database connections are the shared mode's")
def test_reads_go_on_when_postgresql_ends_every_session(direct: Server, make_raw: Callable[..., httpx2.Client]) -> None:
    """PostgreSQL ends every session of the pair's database (a restart, an administrator). The reads go on
    answering 200: the router's through its pool, which connects again, until each event loop's own
    connection is back, on the first read after it closed; then they are answered directly again."""
    raw = make_raw(direct)
    Admin.of(make_raw, direct).clear_faults()
    file_id = raw.post("/v1/files", files={"file": ("s.txt", b"session")}, data={"purpose": "user_data"}).json()["id"]
    for path in (f"/v1/files/{file_id}", "/v1/files?limit=5"):
        assert raw.get(path).status_code == 200  # each instance's copy of the controls is current
    ended = subprocess.run(
        ["psql", shared_pair.database_of(direct), "-Atc",
         "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"],
        check=True, capture_output=True, text=True, timeout=30,
    ).stdout.strip()
    assert int(ended) >= 4, f"both instances' pools and event loops had sessions: {ended}"
    time.sleep(0.5)  # each instance has seen its connections close
    before = scrape_every_instance(direct).get(DIRECT, 0)
    statuses: list[int] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (len(statuses) < 40 or scrape_every_instance(direct).get(DIRECT, 0) - before < 4):
        for path in (f"/v1/files/{file_id}", "/v1/files?limit=5"):
            statuses.append(raw.get(path).status_code)
    assert set(statuses) == {200}, statuses
    answered_directly = scrape_every_instance(direct).get(DIRECT, 0) - before
    assert answered_directly >= 4, "the event loops' connections are back"
    assert len(statuses) - answered_directly >= 2, "the first read on each instance's loop went to the router"
