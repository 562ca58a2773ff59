"""Several instances on one PostgreSQL database and one S3 bucket (the servers scripts/test starts).

Read-after-write across instances through the official SDK, and start-up refusing a setting that
cannot work with one line that names it and never echoes a secret. Skipped when no PostgreSQL/S3
was started, except under scripts/test (MOCKFILES_REQUIRE_SHARED_BACKENDS=1), where that is a failure.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import httpx2
import openai
import pytest
from mockfiles_kit import Server, binary_path
from mockfiles_kit.admin import Admin

from test_direct_reads import DIRECT
from test_observability import scrape

DATABASE_URL = os.environ.get("MOCKFILES_TEST_DATABASE_URL")
S3_ENDPOINT = os.environ.get("MOCKFILES_TEST_S3_ENDPOINT")
S3_BUCKET = os.environ.get("MOCKFILES_TEST_S3_BUCKET", "mockfiles-test")

if not (DATABASE_URL and S3_ENDPOINT):
    if os.environ.get("MOCKFILES_REQUIRE_SHARED_BACKENDS") == "1":
        raise RuntimeError("scripts/test started no PostgreSQL/S3: MOCKFILES_TEST_DATABASE_URL or MOCKFILES_TEST_S3_ENDPOINT is missing")
    pytest.skip("needs MOCKFILES_TEST_DATABASE_URL and MOCKFILES_TEST_S3_ENDPOINT (scripts/test starts both)", allow_module_level=True)


def admin_sql(statement: str) -> None:
    """Runs one statement on the test server's maintenance database (psql ships with the server)."""
    subprocess.run(["psql", DATABASE_URL, "-qc", statement], check=True, capture_output=True, timeout=60)


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    netloc = f"{parts.username}:{password}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture
def shared_args() -> Iterator[list[str]]:
    """A fresh database and key prefix: the flags every instance of one test shares."""
    name = f"mockfiles_acc_{uuid.uuid4().hex[:10]}"
    admin_sql(f"CREATE DATABASE {name}")
    yield [
        "--database-url", with_database(DATABASE_URL, name),
        "--blob-url", f"s3://{S3_BUCKET}/{name}",
        "--s3-endpoint", S3_ENDPOINT,
        "--downloadable-purposes", "all",
    ]
    admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_an_instance_whose_database_is_gone_stops_at_once_on_sigterm(tmp_path) -> None:
    """Its background rounds (the batch settler asks the database four times a second) then wait on
    a connection that never comes: a graceful shutdown must cut them short, not wait for them
    (it waited past 15 s before, and the session's servers outlive each test's database)."""
    name = f"mockfiles_acc_{uuid.uuid4().hex[:10]}"
    admin_sql(f"CREATE DATABASE {name}")
    server = Server.start(tmp_path / "data", tmp_path / "logs", ["--database-url", with_database(DATABASE_URL, name)])
    try:
        admin_sql(f"DROP DATABASE {name} WITH (FORCE)")
        # Long enough for rounds to be waiting on the connection the pool cannot make.
        time.sleep(1.5)
    finally:
        code = server.stop(timeout=5)
        admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    assert code == 0, server.output()


@pytest.fixture
def two_instances(start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], shared_args: list[str]):
    first = start_server(*shared_args)
    second = start_server(*shared_args)
    return (first, second), (make_client(first.base_url), make_client(second.base_url))


def test_a_file_made_on_one_instance_is_served_by_the_other_at_once(two_instances) -> None:
    servers, (a, b) = two_instances
    content = os.urandom(9 * 1024 * 1024 + 5)  # larger than one in-memory part: staged in S3
    made = a.files.create(file=("big.bin", content), purpose="user_data")
    assert b.files.retrieve(made.id).bytes == len(content)
    assert [f.id for f in b.files.list().data] == [made.id]
    assert hashlib.sha256(b.files.content(made.id).read()).digest() == hashlib.sha256(content).digest()
    assert b.files.delete(made.id).deleted
    with pytest.raises(openai.NotFoundError):
        a.files.retrieve(made.id)
    with pytest.raises(openai.NotFoundError):
        a.files.content(made.id)
    assert a.files.list().data == []
    # Neither secret reaches a log line or the metrics.
    password = urlsplit(DATABASE_URL).password
    for server in servers:
        seen = server.output(limit=10**7) + httpx2.get(server.root_url + "/metrics").text
        assert password not in seen and os.environ["AWS_SECRET_ACCESS_KEY"] not in seen


def test_an_upload_spread_over_both_instances_completes_into_one_file(two_instances) -> None:
    _, (a, b) = two_instances
    parts = [os.urandom(5 * 1024 * 1024), os.urandom(5 * 1024 * 1024), b"end"]
    upload = a.uploads.create(bytes=sum(map(len, parts)), filename="joined.bin", mime_type="text/plain", purpose="user_data")
    part_ids = [(a if i % 2 else b).uploads.parts.create(upload.id, data=p).id for i, p in enumerate(parts)]
    done = a.uploads.complete(upload.id, part_ids=part_ids)
    assert done.status == "completed"
    assert b.files.content(done.file.id).read() == b"".join(parts)
    with pytest.raises(openai.BadRequestError):
        b.uploads.complete(upload.id, part_ids=part_ids)


def test_a_request_answered_on_one_instance_is_in_the_other_ones_log_at_once(two_instances, make_raw: Callable[..., httpx2.Client]) -> None:
    """The log's INSERT commits without waiting for the WAL flush (issue 35); that must not delay
    what tests rely on: 1,000 times, a request answered by A is the newest entry B's log shows. Every
    other request is a `GET` of a file A answers on its event loop (a direct read, its entry written by
    that loop's group commit), the rest 404s that A's router answers."""
    (first, second), _ = two_instances
    on_a, b_admin = make_raw(first), Admin.of(make_raw, second)
    file_id = on_a.post("/v1/files", files={"file": ("v.txt", b"visible")}, data={"purpose": "user_data"}).json()["id"]
    direct_before = scrape(first).get(DIRECT, 0)
    for i in range(1000):
        path, status = (f"/v1/files/{file_id}", 200) if i % 2 else (f"/v1/files/file-visible{i:04d}", 404)
        assert on_a.get(path).status_code == status
        newest = b_admin.journal(limit=1)["data"]
        assert newest and (newest[0]["method"], newest[0]["path"], newest[0]["status"]) == ("GET", path, status), f"round {i}: {newest}"
    assert scrape(first).get(DIRECT, 0) - direct_before >= 400, "A answered its file GETs on the event loop"


def test_a_control_changed_on_one_instance_holds_for_the_other_ones_next_read(two_instances, make_raw: Callable[..., httpx2.Client]) -> None:
    """A file GET or list page in this mode reads the controls' generation in its own statement and
    answers again when that shows a change (issue 35, item 1). Each round changes a rule or the
    clock on A; B's very next read must be answered under it, never under the copy B held."""
    (first, second), (a, _) = two_instances
    a_admin, on_b = Admin.of(make_raw, first), make_raw(second)
    made = a.files.create(file=("short.txt", b"lives an hour"), purpose="user_data", expires_after={"anchor": "created_at", "seconds": 3600})
    one, page = f"/v1/files/{made.id}", "/v1/files?limit=5"
    for round_number in range(100):
        for path in (one, page):
            assert on_b.get(path).status_code == 200, f"round {round_number}: {path} before the rule"
            fault = a_admin.add_fault(method="GET", path=path.split("?")[0], status=503, error={"message": f"round {round_number}"})
            refused = on_b.get(path)
            assert (refused.status_code, refused.json()["error"]["message"]) == (503, f"round {round_number}"), f"round {round_number}: {path}"
            a_admin.remove_fault(fault["id"])
        assert on_b.get(one).status_code == 200
        a_admin.advance(3600)  # the file expires: gone from B's answers at once
        assert on_b.get(one).status_code == 404, f"round {round_number}: expired file served"
        assert on_b.get(page).json()["data"] == [], f"round {round_number}: expired file listed"
        a_admin.advance(-3600)


def run_serve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(binary_path()), "serve", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


def test_a_wrong_database_password_ends_start_up_with_one_line_and_no_secret() -> None:
    done = run_serve("--database-url", with_password(DATABASE_URL, "not-the-password-42"))
    assert done.returncode == 78, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mockfiles: databaseUrl: cannot connect to"), done.stderr
    assert "password authentication failed" in lines[0]
    assert "not-the-password-42" not in done.stderr + done.stdout


def test_an_unreachable_database_ends_start_up_at_once() -> None:
    done = run_serve("--database-url", "postgres://me:secret-pw@127.0.0.1:1/db")
    assert done.returncode == 78
    assert done.stderr.strip() == "mockfiles: databaseUrl: cannot connect to postgres://me:***@127.0.0.1:1/db?sslmode=prefer: connection refused"


@pytest.mark.parametrize(
    ("blob_url", "env", "message"),
    [
        ("s3://{bucket}/x", {"AWS_SECRET_ACCESS_KEY": "wrong-secret-42"}, "SignatureDoesNotMatch"),
        ("s3://no-such-bucket-here/x", {}, "NoSuchBucket"),
    ],
)
def test_an_unusable_bucket_ends_start_up_naming_blob_url(shared_args: list[str], blob_url: str, env: dict[str, str], message: str) -> None:
    args = shared_args[:2] + ["--blob-url", blob_url.format(bucket=S3_BUCKET), "--s3-endpoint", S3_ENDPOINT]
    done = run_serve(*args, env=env)
    assert done.returncode == 78, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mockfiles: blobUrl: cannot use s3://"), done.stderr
    assert message in lines[0]
    assert "wrong-secret-42" not in done.stderr and os.environ["AWS_SECRET_ACCESS_KEY"] not in done.stderr


def test_s3_without_a_shared_database_is_refused() -> None:
    done = run_serve("--blob-url", f"s3://{S3_BUCKET}/x", "--s3-endpoint", S3_ENDPOINT)
    assert done.returncode == 78
    assert "blobUrl (S3) needs databaseUrl (PostgreSQL)" in done.stderr
