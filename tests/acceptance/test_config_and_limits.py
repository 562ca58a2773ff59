"""Server options: the example configs in config/, per-project tenancy, the file size limit."""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import openai
import pytest
from mockfiles_kit import Server

from checkout import REPO_ROOT
from helpers import assert_error

EXAMPLES = sorted((REPO_ROOT / "config").glob("*.json"))


@pytest.mark.parametrize("config", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_config_starts_the_server(start_server: Callable[..., Server], config: Path) -> None:
    server = start_server("--config", str(config))
    assert server.stop() == 0, server.output()


def test_per_project_keys_share_files_within_a_project(start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI]) -> None:
    config = REPO_ROOT / "config" / "per-project-keys.json"
    assert config.exists(), "config/per-project-keys.json is the README's example of per-project keys; this test needs it"
    settings = json.loads(config.read_text())
    projects: dict[str, list[str]] = defaultdict(list)
    for entry in settings["apiKeys"]:
        key, _, scope = entry.partition("=")
        projects[scope].append(key)
    shared = next(keys for keys in projects.values() if len(keys) >= 2)
    other = next(keys[0] for keys in projects.values() if keys is not shared)

    server = start_server("--config", str(config))
    first, second, outsider = (make_client(server.base_url, api_key=k) for k in (shared[0], shared[1], other))
    f = first.files.create(file=("team.txt", b"team"), purpose="user_data")
    assert second.files.retrieve(f.id) == f
    with pytest.raises(openai.NotFoundError) as e:
        outsider.files.retrieve(f.id)
    assert_error(e.value, 404, message=f"No such File object: {f.id}", param="id")
    with pytest.raises(openai.AuthenticationError) as e:
        make_client(server.base_url, api_key="sk-not-listed").files.list()
    assert_error(e.value, 401, code="invalid_api_key")


@pytest.fixture(scope="module")
def small_limit(start_server: Callable[..., Server]) -> Server:
    return start_server("--max-file-bytes", "1024")


def test_file_at_the_limit_is_accepted(make_client: Callable[..., openai.OpenAI], small_limit: Server) -> None:
    f = make_client(small_limit.base_url).files.create(file=("limit.bin", b"x" * 1024), purpose="user_data")
    assert f.bytes == 1024


@pytest.mark.parametrize("size", [1025, 5 * 1024 * 1024])
def test_file_over_the_limit_is_too_large(make_client: Callable[..., openai.OpenAI], small_limit: Server, size: int) -> None:
    marker = os.urandom(32)
    with pytest.raises(openai.BadRequestError) as e:
        make_client(small_limit.base_url).files.create(file=("big.bin", marker + b"y" * (size - 32)), purpose="user_data")
    assert_error(e.value, 400, param=None, code=None, message="File is too large.")

    def leftovers() -> list[Path]:
        return [p for p in small_limit.data_dir.rglob("*") if p.is_file() and marker in p.read_bytes()]

    deadline = time.monotonic() + 5
    while leftovers() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert leftovers() == [], "a refused upload must leave nothing behind in the data dir"


def test_assistants_download_can_be_allowed(start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI]) -> None:
    client = make_client(start_server("--allow-assistants-download").base_url)
    f = client.files.create(file=("a.pdf", b"%PDF-1.4"), purpose="assistants")
    assert client.files.content(f.id).read() == b"%PDF-1.4"


def test_batch_files_have_their_own_smaller_limit(start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], tmp_path: Path) -> None:
    config = tmp_path / "batch-limit.json"
    config.write_text(json.dumps({"maxBatchFileBytes": 1024}))
    client = make_client(start_server("--config", str(config)).base_url)
    line = b'{"custom_id": "r", "method": "POST", "url": "/v1/chat/completions", "body": {}}\n'
    payload = line * (2048 // len(line) + 1)
    with pytest.raises(openai.BadRequestError) as e:
        client.files.create(file=("big.jsonl", payload), purpose="batch")
    assert_error(e.value, 400, param=None, code=None, message="File is too large.")
    assert client.files.create(file=("big.jsonl", payload), purpose="user_data").bytes == len(payload)
