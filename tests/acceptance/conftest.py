"""Fixtures: real `mockfiles serve` processes, the official SDK as client, and a wire checker.

Every answer any client made here receives (SDK or raw httpx2) passes through `WireChecker`: each /v1
answer must carry the OpenAI headers, every JSON answer must match its official schema from
shared/openai/files-openapi.yaml, every error must be the `{"error": {...}}` envelope. Violations fail
the test (or fixture) during which they were seen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2
import openai
import pytest
from mockfiles_kit import API_KEY, Server, ServerError, use_checkout_binary
from mockfiles_kit.sdk import openai_client

import shared_pair
from checkout import REPO_ROOT
from wirecheck import CHECKER

use_checkout_binary(REPO_ROOT)  # MOCKFILES_BIN, else the build of this checkout


def _checked_phase(phase: str) -> Iterator[None]:
    __tracebackhide__ = True
    CHECKER.take()
    try:
        result = yield
    except BaseException:
        CHECKER.take()
        raise
    found = CHECKER.take()
    if found:
        shown = "\n  ".join(found[:20])
        more = f"\n  ... and {len(found) - 20} more" if len(found) > 20 else ""
        raise AssertionError(f"{len(found)} answer(s) broke the wire contract during {phase}:\n  {shown}{more}")
    return result


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "blobs_on_disk: looks for stored bytes in the data directory (not run when they are in S3)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    if shared_pair.BLOBS_IN_S3 and item.get_closest_marker("blobs_on_disk"):
        # Where S3 keeps them is the store's affair: BlobStoreContractTests check removal there.
        pytest.skip("looks into the data directory; this run keeps the bytes in S3")
    return (yield from _checked_phase("setup"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    return (yield from _checked_phase("the test"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    return (yield from _checked_phase("teardown"))


# ---------------------------------------------------------------- servers

STOP_TIMEOUT = 10.0


# Every server `start_server` started and has not stopped yet, in order.
_running: list[Server] = []


def _stop(servers: list[Server]) -> list[str]:
    """Stops each (SIGTERM); what went wrong: a server that did not exit in time or exited non-zero."""
    failures = []
    for server in servers:
        code = server.stop(timeout=STOP_TIMEOUT)
        if code is None:
            failures.append(f"mockfiles did not exit within {STOP_TIMEOUT:.0f}s of SIGTERM\n{server.output()}")
        elif code != 0:
            failures.append(f"mockfiles {' '.join(server.args[1:])} exited with {code} after SIGTERM, want 0\n{server.output()}")
    return failures


@pytest.fixture(scope="session")
def start_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Server]]:
    """Factory: start_server("--tenancy", "per-key", data_dir=...) -> a ready Server, stopped when the
    session ends (`start_test_server`: when the test ends)."""

    def start(*extra_args: str, data_dir: Path | None = None) -> Server:
        run = tmp_path_factory.mktemp("server")
        data_dir = data_dir or run / "data"
        try:
            if not shared_pair.ENABLED:
                server = Server.start(data_dir, run / "logs", extra_args)
                _running.append(server)
                return server
            # Shared mode: two instances on one database and bucket; clients alternate between them.
            args = shared_pair.storage_args(str(data_dir)) + list(extra_args)
            first = Server.start(data_dir, run / "logs", args)
            _running.append(first)
            second = Server.start(data_dir, run / "logs-second", args)
            _running.append(second)
            shared_pair.register(first.port, second.port)
            return first
        except ServerError as e:
            pytest.fail(str(e), pytrace=False)

    yield start
    failures = _stop(_running)
    _running.clear()
    assert not failures, "\n\n".join(failures)


@pytest.fixture
def start_test_server(start_server: Callable[..., Server]) -> Iterator[Callable[..., Server]]:
    """`start_server` for the servers one test needs: they stop when the test ends, with the same
    checks. In shared mode each server is a pair holding PostgreSQL connections, and a suite's worth
    of idle pairs kept to the session's end ran the database out of them. (Not automatic for every
    server a test starts: a module fixture may start servers lazily, during its tests, and keep them.)"""
    own: list[Server] = []

    def start(*extra_args: str, data_dir: Path | None = None) -> Server:
        before = len(_running)
        server = start_server(*extra_args, data_dir=data_dir)
        own.extend(_running[before:])
        return server

    yield start
    _running[:] = [server for server in _running if server not in own]
    failures = _stop(own)
    assert not failures, "\n\n".join(failures)


@pytest.fixture(scope="session")
def server(start_server: Callable[..., Server]) -> Server:
    return start_server()


@pytest.fixture(scope="session")
def base_url(server: Server) -> str:
    return server.base_url


# ---------------------------------------------------------------- clients


@pytest.fixture(scope="session")
def make_client() -> Iterator[Callable[..., openai.OpenAI]]:
    """Factory: the official SDK pointed at a server, with every answer going through the wire checker."""
    made: list[openai.OpenAI] = []

    def make(base_url: str, api_key: str = API_KEY, **kwargs: object) -> openai.OpenAI:
        c = openai_client(base_url, api_key, on_response=[CHECKER.hook], transport=shared_pair.transport(), max_retries=0, **kwargs)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


@pytest.fixture(scope="session")
def client(make_client: Callable[..., openai.OpenAI], base_url: str) -> openai.OpenAI:
    return make_client(base_url)


@pytest.fixture(scope="session")
def make_raw() -> Iterator[Callable[..., httpx2.Client]]:
    """Factory: a plain httpx2 client on a server's root URL (paths start with /v1), wire-checked."""
    made: list[httpx2.Client] = []

    def make(server: Server, api_key: str | None = API_KEY, **kwargs: object) -> httpx2.Client:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key is not None else {}
        if shared_pair.ENABLED and "transport" not in kwargs:
            kwargs["transport"] = shared_pair.transport()
        c = httpx2.Client(base_url=server.root_url, headers=headers, timeout=120.0, event_hooks={"response": [CHECKER.hook]}, **kwargs)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


@pytest.fixture(scope="session")
def raw(make_raw: Callable[..., httpx2.Client], server: Server) -> httpx2.Client:
    return make_raw(server)
