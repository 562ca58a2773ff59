"""`mockfiles --version` and `mockfiles health`, the binary's own answers about itself and a server.

- `--version` prints one line, `mockfiles VERSION (commit C)`: VERSION is the repository's VERSION file
  (the one version source; the kit's `__version__` is the same), C the commit built (a commit of this
  repository when the binary was built from it) or `unknown`;
- `health` is the image's HEALTHCHECK: exit 0 and one `ok:` line when GET /health answers 200 (on
  $MOCKFILES_PORT by default, or at --url, with or without /health); otherwise exit 1 (Docker's
  "unhealthy") with one `mockfiles: health: URL why` line on stderr, within its timeout, whether the port
  is closed, the server never answers, or it answers another status.
"""

from __future__ import annotations

import http.server
import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import mockfiles_kit
import pytest
from mockfiles_kit import Server, binary_path, free_port

from checkout import REPO_ROOT

VERSION = (REPO_ROOT / "VERSION").read_text().strip()


def mockfiles(*args: str, env: dict[str, str] | None = None, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "MOCKFILES_PORT"} | (env or {})
    return subprocess.run([str(binary_path()), *args], env=environment, capture_output=True, text=True, timeout=timeout)


# ---------------------------------------------------------------- --version


def test_version_prints_the_version_file_and_the_commit() -> None:
    run = mockfiles("--version")
    assert run.returncode == 0, run
    assert run.stderr == ""
    found = re.fullmatch(r"mockfiles (\S+) \(commit ([0-9a-f]{40}|unknown)\)\n", run.stdout)
    assert found, f"want 'mockfiles VERSION (commit SHA)', got {run.stdout!r}"
    assert found[1] == VERSION
    binary = binary_path().resolve()
    if (REPO_ROOT / ".git").exists() and binary.is_relative_to(REPO_ROOT) and found[2] != "unknown":
        kind = subprocess.run(["git", "-C", str(REPO_ROOT), "cat-file", "-t", found[2]], capture_output=True, text=True)
        assert kind.stdout.strip() == "commit", f"{found[2]} is not a commit of this repository"


def test_version_is_the_same_from_a_subcommand() -> None:
    assert mockfiles("health", "--version").stdout == mockfiles("--version").stdout


def test_the_kit_carries_the_same_version() -> None:
    assert mockfiles_kit.__version__ == VERSION


# ---------------------------------------------------------------- health against a server


def test_health_of_a_running_server(server: Server) -> None:
    url = f"http://127.0.0.1:{server.port}/health"
    for args, env in [
        ((), {"MOCKFILES_PORT": str(server.port)}),  # the HEALTHCHECK's form: the image sets MOCKFILES_PORT
        (("--url", f"http://127.0.0.1:{server.port}"), {}),
        (("--url", f"http://127.0.0.1:{server.port}/"), {}),
        (("--url", url), {}),
    ]:
        run = mockfiles("health", *args, env=env)
        assert (run.returncode, run.stdout, run.stderr) == (0, f"ok: {url} answered 200\n", ""), (args, env, run)


# ---------------------------------------------------------------- health when unhealthy


def unhealthy(run: subprocess.CompletedProcess[str], url: str, why: str) -> None:
    assert run.returncode == 1, run
    assert run.stdout == ""
    assert run.stderr == f"mockfiles: health: {url} {why}\n", run.stderr


def test_health_of_a_closed_port_fails_at_once() -> None:
    port = free_port()
    started = time.monotonic()
    run = mockfiles("health", env={"MOCKFILES_PORT": str(port)})
    unhealthy(run, f"http://127.0.0.1:{port}/health", "cannot connect: Connection refused")
    assert time.monotonic() - started < 2


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_health_gives_up_at_its_timeout(silent_port: int) -> None:
    started = time.monotonic()
    run = mockfiles("health", "--url", f"http://127.0.0.1:{silent_port}", "--timeout", "0.5")
    elapsed = time.monotonic() - started
    unhealthy(run, f"http://127.0.0.1:{silent_port}/health", "no answer within 0.5 s")
    assert 0.5 <= elapsed < 5, elapsed


def test_health_default_timeout_is_short(silent_port: int) -> None:
    started = time.monotonic()
    run = mockfiles("health", env={"MOCKFILES_PORT": str(silent_port)})
    unhealthy(run, f"http://127.0.0.1:{silent_port}/health", "no answer within 2 s")
    assert time.monotonic() - started < 6


@pytest.fixture
def failing_server() -> Iterator[int]:
    """A loopback HTTP server whose /health answers 503."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b'{"status":"starting"}'
            self.send_response(503 if self.path == "/health" else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_health_reports_another_status(failing_server: int) -> None:
    run = mockfiles("health", "--url", f"http://127.0.0.1:{failing_server}")
    unhealthy(run, f"http://127.0.0.1:{failing_server}/health", "answered 503 Service Unavailable")


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/", "127.0.0.1:8080", "http://"])
def test_health_refuses_a_url_that_is_not_http(url: str) -> None:
    run = mockfiles("health", "--url", url)
    assert run.returncode == 64, run
    assert "is not an http(s) URL" in run.stderr


def test_health_is_in_the_help() -> None:
    assert re.search(r"^\s+health\s", mockfiles("--help").stdout, re.M)

