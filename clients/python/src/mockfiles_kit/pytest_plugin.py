"""pytest fixtures for testing code that calls the OpenAI Files and Uploads APIs against mockfiles.

Installed with the kit, pytest loads it by itself (entry point `pytest11`). The fixtures:

- `mockfiles_url`: the server's root URL. `MOCKFILES_URL` when set (a server run elsewhere, e.g. in
  docker-compose); otherwise `mockfiles serve --ephemeral` on a free loopback port, started once per
  session (binary from `MOCKFILES_BIN`, else the `mockfiles` wheel's, else PATH) and stopped at its
  end, its data gone with it.
- `mockfiles_admin`: an `Admin` client on it; the server is reset before each test that asks for it
  (files, Uploads, fault rules, clock and request log). `MOCKFILES_ADMIN_TOKEN`, when set, is sent as
  `Authorization: Bearer`: a server in a container sees the tests' requests from its bridge, not from
  loopback, and answers the admin API only with its token.
- `mockfiles_openai`: an `openai.OpenAI` client pointed at it (the `openai` extra), on a reset server.

Failing `mockfiles_admin.verify(...)` calls raise an AssertionError listing the near misses.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from .admin import Admin
from .server import API_KEY, Server


@pytest.fixture(scope="session")
def mockfiles_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("MOCKFILES_URL")
    if external:
        yield external.rstrip("/")
        return
    server = Server.start(None, tmp_path_factory.mktemp("mockfiles-logs"))
    try:
        yield server.root_url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def _mockfiles_http(mockfiles_url: str) -> Iterator[httpx2.Client]:
    token = os.environ.get("MOCKFILES_ADMIN_TOKEN")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx2.Client(base_url=mockfiles_url, headers=headers, timeout=30) as http:
        yield http


@pytest.fixture
def mockfiles_admin(_mockfiles_http: httpx2.Client) -> Admin:
    admin = Admin(_mockfiles_http)
    admin.reset()
    return admin


@pytest.fixture
def mockfiles_openai(mockfiles_url: str, mockfiles_admin: Admin) -> Any:
    import openai  # the optional extra: only the tests that ask for this fixture need it

    return openai.OpenAI(base_url=f"{mockfiles_url}/v1", api_key=os.environ.get("OPENAI_API_KEY", API_KEY), max_retries=0)
