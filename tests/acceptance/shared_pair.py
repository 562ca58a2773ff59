"""The suite's shared mode (MOCKFILES_ACCEPTANCE_SHARED=1): every server a test starts is two instances on
one PostgreSQL database and one S3 bucket prefix (MOCKFILES_TEST_S3_ENDPOINT; without it, one data
directory holds the bytes), and every SDK or httpx2 request goes to them in turn, so each step of a test
may land on the other instance. scripts/test runs the files, uploads, controls, storage quota and batch
tests this way after their ordinary run; test_batches_shared.py's pairs (`start_pair`) do not
alternate: each of its steps names the instance it goes to.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx2
from mockfiles_kit import Server

ENABLED = os.environ.get("MOCKFILES_ACCEPTANCE_SHARED") == "1"
BLOBS_IN_S3 = ENABLED and bool(os.environ.get("MOCKFILES_TEST_S3_ENDPOINT"))

# A started pair: the first instance's port -> both ports.
_pairs: dict[int, list[int]] = {}
# A data dir -> its database, so a restart on the same data dir finds the same state.
_databases: dict[str, str] = {}


def storage_args(data_dir: str) -> list[str]:
    """`--database-url` (and `--blob-url` when S3 is there) for this data dir's storage, made on first use."""
    admin_url = os.environ.get("MOCKFILES_TEST_DATABASE_URL")
    if not admin_url:
        raise RuntimeError("MOCKFILES_ACCEPTANCE_SHARED=1 needs MOCKFILES_TEST_DATABASE_URL (scripts/test starts PostgreSQL)")
    if data_dir not in _databases:
        name = f"mockfiles_pair_{uuid.uuid4().hex[:10]}"
        subprocess.run(["psql", admin_url, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True, timeout=60)
        _databases[data_dir] = urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    database = _databases[data_dir]
    args = ["--database-url", database]
    s3_endpoint = os.environ.get("MOCKFILES_TEST_S3_ENDPOINT")
    if s3_endpoint:
        # A prefix per database: a restart on the same data dir finds its bytes, other servers never do.
        bucket = os.environ.get("MOCKFILES_TEST_S3_BUCKET", "mockfiles-test")
        args += ["--blob-url", f"s3://{bucket}/{urlsplit(database).path.lstrip('/')}", "--s3-endpoint", s3_endpoint]
    elif os.environ.get("MOCKFILES_REQUIRE_SHARED_BACKENDS") == "1":
        raise RuntimeError("MOCKFILES_REQUIRE_SHARED_BACKENDS=1 but MOCKFILES_TEST_S3_ENDPOINT is not set")
    return args


def start_pair(run_dir: Path, *extra_args: str) -> tuple[Server, Server]:
    """Two instances on one new database and bucket prefix (as `storage_args` makes them), each with its
    own logs and NOT registered for alternation: for a test that names the instance of every step, kills
    one, or starts it again (`spawn()` finds the same storage)."""
    data_dir = run_dir / "data"
    args = storage_args(str(data_dir)) + list(extra_args)
    first = Server.start(data_dir, run_dir / "logs-a", args)
    try:
        second = Server.start(data_dir, run_dir / "logs-b", args)
    except BaseException:
        first.stop()
        raise
    return first, second


def register(first_port: int, second_port: int) -> None:
    _pairs[first_port] = [first_port, second_port]


def database_of(server: Server) -> str:
    """The URL of the database `server` (an instance of a pair, or the pair) keeps its state in."""
    return _databases[str(server.data_dir)]


def ports_of(server: Server) -> list[int]:
    """The ports of the instances `server` stands for: both of its pair in shared mode, else its own."""
    return _pairs.get(server.port, [server.port])


class AlternatingTransport(httpx2.HTTPTransport):
    """Sends each request to the next instance of the pair its URL names (others go where they point)."""

    def __init__(self, **options: object) -> None:
        super().__init__(**options)
        self._turns = itertools.count()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        ports = _pairs.get(request.url.port or 0)
        if ports:
            request.url = request.url.copy_with(port=ports[next(self._turns) % len(ports)])
        return super().handle_request(request)


def transport() -> AlternatingTransport | None:
    return AlternatingTransport() if ENABLED else None
