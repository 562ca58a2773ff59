"""Injected faults (POST /admin/faults) seen through the official SDK with its default retry policy,
and the request log (GET /admin/requests) that shows what reached the server."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx2
import openai
import pytest
from mockfiles_kit import Server
from mockfiles_kit.admin import Admin

from helpers import assert_error

LOG_KEYS = {
    "seq", "request_id", "instance", "method", "path", "status", "tenant", "api_key_hint", "object_id",
    "content_type", "multipart_fields", "error", "bytes_in", "bytes_out", "duration_ms", "timestamp", "direction",
}


@pytest.fixture(scope="module")
def faulty(start_server: Callable[..., Server]) -> Server:
    """A server of its own: the faults and the request log here must not leak into other tests."""
    return start_server()


@pytest.fixture
def admin(make_raw: Callable[..., httpx2.Client], faulty: Server) -> Admin:
    admin = Admin.of(make_raw, faulty)
    admin.reset()
    return admin


@pytest.fixture
def sdk(make_client: Callable[..., openai.OpenAI], faulty: Server) -> openai.OpenAI:
    """The SDK as an application gets it: default retries (make_client turns them off)."""
    assert openai.DEFAULT_MAX_RETRIES == 2
    return make_client(faulty.base_url).with_options(max_retries=openai.DEFAULT_MAX_RETRIES)


def statuses(admin: Admin, path: str) -> list[int]:
    """Statuses of the logged requests to `path`, newest first."""
    return [e["status"] for e in admin.requests(path=path)]


# ---------------------------------------------------------------- retries


def test_sdk_retries_through_two_429s(admin: Admin, sdk: openai.OpenAI) -> None:
    rule = admin.add_fault(method="GET", path="/v1/files", status=429, times=2, headers={"retry-after-ms": 20})
    assert rule["id"].startswith("fault_") and rule["fired"] == 0 and rule["times_remaining"] == 2, rule
    assert sdk.files.list().data == []
    seen = admin.fault(rule["id"])
    assert (seen["fired"], seen["times_remaining"]) == (2, 0), seen
    assert statuses(admin, "/v1/files") == [200, 429, 429]


def test_a_retried_upload_creates_one_file(admin: Admin, sdk: openai.OpenAI) -> None:
    rule = admin.add_fault(method="POST", path="/v1/files", status=429, times=2, headers={"retry-after-ms": 20})
    f = sdk.files.create(file=("retried.txt", b"sent three times"), purpose="vision")  # vision: downloadable by default
    assert admin.fault(rule["id"])["fired"] == 2
    assert statuses(admin, "/v1/files") == [200, 429, 429]
    assert [x.id for x in sdk.files.list()] == [f.id]
    assert sdk.files.content(f.id).read() == b"sent three times"


@pytest.mark.parametrize(
    ("headers", "wait"),
    [({"retry-after-ms": 800}, 0.8), ({"retry-after": "1"}, 1.0)],
    ids=["retry-after-ms", "retry-after"],
)
def test_retry_after_is_honoured(admin: Admin, sdk: openai.OpenAI, headers: dict[str, object], wait: float) -> None:
    admin.add_fault(method="GET", path="/v1/files", status=429, times=1, headers=headers)
    started = time.monotonic()
    sdk.files.list()
    elapsed = time.monotonic() - started
    assert wait <= elapsed < wait + 10, f"the SDK retried after {elapsed:.3f}s, the server asked for {wait}s"
    assert statuses(admin, "/v1/files") == [200, 429]


def test_injected_error_carries_the_given_error_and_headers(admin: Admin, make_client: Callable[..., openai.OpenAI], faulty: Server) -> None:
    error = {"message": "Rate limit reached for requests", "type": "requests", "code": "rate_limit_exceeded"}
    admin.add_fault(method="GET", path="/v1/files", status=429, times=1, error=error, headers={"retry-after": "7", "x-ratelimit-remaining-requests": "0"})
    with pytest.raises(openai.RateLimitError) as e:
        make_client(faulty.base_url).files.list()
    assert_error(e.value, 429, type="requests", code="rate_limit_exceeded", message="Rate limit reached for requests")
    assert e.value.response.headers["retry-after"] == "7"
    assert e.value.response.headers["x-ratelimit-remaining-requests"] == "0"
    assert e.value.request_id, "an injected error still has its x-request-id"


def test_sdk_retries_injected_500s(admin: Admin, sdk: openai.OpenAI) -> None:
    rule = admin.add_fault(path="/v1/files*", status=500, times=2)
    f = sdk.files.create(file=("after-500.txt", b"ok"), purpose="user_data")
    assert admin.fault(rule["id"])["fired"] == 2
    assert statuses(admin, "/v1/files") == [200, 500, 500]
    assert sdk.files.retrieve(f.id).id == f.id


def test_x_should_retry_false_stops_the_retry(admin: Admin, sdk: openai.OpenAI) -> None:
    rule = admin.add_fault(method="GET", path="/v1/files", status=500, headers={"x-should-retry": "false"})
    with pytest.raises(openai.InternalServerError) as e:
        sdk.files.list()
    assert_error(e.value, 500, type="server_error")
    seen = admin.fault(rule["id"])
    assert (seen["fired"], seen["times_remaining"]) == (1, None), seen
    assert statuses(admin, "/v1/files") == [500]


def test_x_should_retry_true_retries_even_a_400(admin: Admin, sdk: openai.OpenAI) -> None:
    admin.add_fault(method="GET", path="/v1/files", status=400, times=1, headers={"x-should-retry": "true", "retry-after-ms": 20})
    sdk.files.list()
    assert statuses(admin, "/v1/files") == [200, 400]


def test_a_400_is_not_retried(admin: Admin, sdk: openai.OpenAI) -> None:
    admin.add_fault(method="GET", path="/v1/files", status=400, times=1, error={"message": "Injected bad request.", "type": "invalid_request_error", "code": "bad"})
    with pytest.raises(openai.BadRequestError) as e:
        sdk.files.list()
    assert_error(e.value, 400, code="bad", message="Injected bad request.")
    assert statuses(admin, "/v1/files") == [400]


def test_dropped_connections_end_in_api_connection_error(admin: Admin, sdk: openai.OpenAI) -> None:
    rule = admin.add_fault(method="GET", path="/v1/files", drop_connection=True)
    with pytest.raises(openai.APIConnectionError) as e:
        sdk.files.list()
    assert not isinstance(e.value, openai.APITimeoutError), e.value
    assert admin.fault(rule["id"])["fired"] == 3, "the SDK tries 3 times (max_retries=2)"
    assert statuses(admin, "/v1/files") == [499, 499, 499], "logged as dropped (499), not as a server error"
    f = sdk.files.create(file=("other.txt", b"POST is not matched"), purpose="user_data")
    assert sdk.files.retrieve(f.id).id == f.id
    assert admin.remove_fault(rule["id"]) == {"id": rule["id"], "deleted": True}
    assert [x.id for x in sdk.files.list()] == [f.id]


def test_a_delay_without_status_slows_the_answer(admin: Admin, sdk: openai.OpenAI) -> None:
    admin.add_fault(method="GET", path="/v1/files", delay_ms=600, times=1)
    started = time.monotonic()
    sdk.files.list()
    assert time.monotonic() - started >= 0.6
    assert statuses(admin, "/v1/files") == [200]


def test_a_long_delay_makes_the_sdk_time_out(admin: Admin, make_client: Callable[..., openai.OpenAI], faulty: Server) -> None:
    rule = admin.add_fault(method="GET", path="/v1/files", delay_ms=3000, times=1)
    client = make_client(faulty.base_url, timeout=0.5)
    with pytest.raises(openai.APITimeoutError):
        client.files.list()
    assert admin.fault(rule["id"])["fired"] == 1
    assert client.files.list().data == []
    # The server still answers the abandoned request once its delay is over (into a closed
    # connection) and logs it: wait for that entry, so it cannot land in a later test's log.
    deadline = time.monotonic() + 10
    while statuses(admin, "/v1/files").count(200) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)


# ---------------------------------------------------------------- matching


def test_faults_match_method_path_and_api_key(admin: Admin, make_client: Callable[..., openai.OpenAI], faulty: Server) -> None:
    rule = admin.add_fault(method="POST", path="/v1/files", api_key="sk-flaky", status=503)
    flaky, steady = make_client(faulty.base_url, api_key="sk-flaky"), make_client(faulty.base_url)
    f = steady.files.create(file=("steady.txt", b"s"), purpose="user_data")
    assert flaky.files.retrieve(f.id).id == f.id
    with pytest.raises(openai.InternalServerError) as e:
        flaky.files.create(file=("flaky.txt", b"f"), purpose="user_data")
    assert_error(e.value, 503, type="server_error")
    assert admin.fault(rule["id"])["fired"] == 1


def test_path_globs_reach_nested_paths(admin: Admin, make_client: Callable[..., openai.OpenAI], faulty: Server) -> None:
    client = make_client(faulty.base_url)
    f = client.files.create(file=("g.txt", b"g"), purpose="user_data")
    admin.add_fault(path="/v1/files/*/content", status=502)
    assert client.files.retrieve(f.id).id == f.id
    with pytest.raises(openai.InternalServerError) as e:
        client.files.content(f.id)
    assert_error(e.value, 502, type="server_error")


def test_probability_zero_never_fires(admin: Admin, make_client: Callable[..., openai.OpenAI], faulty: Server) -> None:
    rule = admin.add_fault(path="*", status=500, probability=0)
    client = make_client(faulty.base_url)
    for _ in range(5):
        client.files.list()
    assert admin.fault(rule["id"])["fired"] == 0


def test_fault_rules_are_listed_and_removed(admin: Admin) -> None:
    first = admin.add_fault(path="/v1/files", status=500)
    second = admin.add_fault(method="DELETE", path="/v1/files/*", status=409, probability=0.5, times=3)
    assert first["id"] != second["id"]
    listed = admin.faults()
    assert [r["id"] for r in listed] == [first["id"], second["id"]]
    assert listed[1] == second
    assert (second["method"], second["path"], second["status"], second["probability"], second["times_remaining"]) == ("DELETE", "/v1/files/*", 409, 0.5, 3)
    admin.call("DELETE", "/admin/faults/fault_999", want=404)
    assert admin.clear_faults()["removed"] == 2
    assert admin.faults() == []


@pytest.mark.parametrize(
    "rule",
    [
        {"path": "/v1/files", "status": 200},
        {"path": "/v1/files", "status": 600},
        {"path": "/v1/files"},
        {"path": "/v1/files", "status": 500, "times": 0},
        {"path": "/v1/files", "status": 500, "probability": 2},
        {"path": "/v1/files", "status": 500, "colour": "red"},
    ],
    ids=["status-200", "status-600", "no-effect", "times-0", "probability-2", "unknown-field"],
)
def test_bad_fault_rules_are_refused(admin: Admin, rule: dict[str, object]) -> None:
    r = admin.http.post("/admin/faults", json=rule)
    assert_error(r, 400)
    assert admin.faults() == []


# ---------------------------------------------------------------- request log


def test_request_log_describes_each_request(admin: Admin, make_client: Callable[..., openai.OpenAI], faulty: Server) -> None:
    client = make_client(faulty.base_url)
    content = b"logged content\n" * 10
    created = client.files.with_raw_response.create(file=("logged.txt", content), purpose="user_data")
    f = created.parse()
    fetched = client.files.with_raw_response.retrieve(f.id)
    client.files.delete(f.id)
    log = admin.requests()
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("DELETE", f"/v1/files/{f.id}", 200),
        ("GET", f"/v1/files/{f.id}", 200),
        ("POST", "/v1/files", 200),
    ]
    delete, get, post = log
    for e in log:
        assert e["duration_ms"] >= 0 and abs(e["timestamp"] - time.time()) < 120, e
        assert e["request_id"].startswith("req_"), e
    assert post["request_id"] == created.headers["x-request-id"]
    assert get["request_id"] == fetched.headers["x-request-id"]
    assert get["object_id"] == delete["object_id"] == f.id
    assert post["bytes_in"] > len(content), "a multipart body is larger than the file in it"
    assert get["bytes_out"] == len(fetched.http_response.content)
    assert admin.requests(limit=1) == [delete]
    admin.call("GET", "/admin/requests?limit=0", want=400)


def test_request_log_names_the_tenant_and_the_created_object(admin: Admin, make_client: Callable[..., openai.OpenAI], faulty: Server) -> None:
    client = make_client(faulty.base_url)
    f = client.files.create(file=("made.txt", b"made"), purpose="user_data")
    u = client.uploads.create(bytes=4, filename="made.txt", mime_type="text/plain", purpose="user_data")
    client.files.list()
    listed, upload, post = admin.requests()
    assert post.get("object_id") == f.id, f"POST /v1/files should log the id it created: {post}"
    assert upload.get("object_id") == u.id, f"POST /v1/uploads should log the id it created: {upload}"
    for e in (listed, upload, post):
        assert set(e) == LOG_KEYS, f"log entry keys {sorted(e)}, want {sorted(LOG_KEYS)} (null when unknown)"
        assert isinstance(e["tenant"], str) and e["tenant"], f"an authenticated request should log its tenant: {e}"
