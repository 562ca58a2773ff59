"""POST /admin/reset and fixtures (--fixtures DIR), the admin token, --id-seed, and the same settings
through MOCKFILES_* environment variables."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from mockfiles_kit import Server, binary_path, free_port
from mockfiles_kit.admin import Admin

from checkout import REPO_ROOT
import shared_pair
from helpers import error_envelope

FIXTURES = REPO_ROOT / "fixtures"
RESET_KEYS = {
    "files_removed", "uploads_removed", "parts_removed", "blobs_removed", "faults_removed", "batch_rules_removed", "requests_cleared",
    "fixtures_loaded",
}


def manifest() -> list[dict[str, Any]]:
    return json.loads((FIXTURES / "fixtures.json").read_text())["files"]


def blobs_holding(data_dir: Path, marker: bytes) -> list[Path]:
    return [p for p in data_dir.rglob("*") if p.is_file() and marker in p.read_bytes()]


# ---------------------------------------------------------------- fixtures and reset


def test_fixtures_are_loaded_at_start(start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], tmp_path: Path) -> None:
    # The fixtures are fine-tune and user_data files, which do not download by default: allow every
    # purpose, so their content can be compared byte for byte.
    server = start_server("--fixtures", str(FIXTURES), "--downloadable-purposes", "all", data_dir=tmp_path / "data")
    client = make_client(server.base_url)
    files = {f.id: f for f in client.files.list()}
    entries = manifest()
    assert len(files) == len(entries)
    for entry in entries:
        if "id" in entry:
            f = files[entry["id"]]
        else:
            (f,) = [f for f in files.values() if f.filename == entry.get("filename", entry["path"])]
        content = (FIXTURES / entry["path"]).read_bytes()
        assert (f.purpose, f.filename, f.bytes, f.status) == (entry["purpose"], entry.get("filename", Path(entry["path"]).name), len(content), "processed")
        assert f.created_at == entry.get("created_at", f.created_at)
        assert f.expires_at == entry.get("expires_at")
        assert client.files.content(f.id).read() == content


def test_reset_removes_everything_and_reloads_fixtures(
    start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client], tmp_path: Path
) -> None:
    server = start_server("--fixtures", str(FIXTURES), "--downloadable-purposes", "all", data_dir=tmp_path / "data")  # train.jsonl is fine-tune
    client, admin = make_client(server.base_url), Admin.of(make_raw, server)
    fixture_ids = {f.id for f in client.files.list()}
    assert len(fixture_ids) == len(manifest()) and {e["id"] for e in manifest() if "id" in e} <= fixture_ids

    marker = b"made-in-the-test"
    made = [client.files.create(file=(f"m{i}.txt", marker + bytes([48 + i])), purpose="user_data") for i in range(2)]
    upload = client.uploads.create(bytes=8, filename="u.txt", mime_type="text/plain", purpose="user_data")
    client.uploads.parts.create(upload_id=upload.id, data=marker[:4])
    admin.add_fault(path="/v1/nothing", status=500)
    assert {f.id for f in client.files.list()} == fixture_ids | {f.id for f in made}
    logged = len(admin.requests(limit=1000))

    answer = admin.reset()
    assert set(answer) == RESET_KEYS, answer
    assert answer["files_removed"] == len(fixture_ids) + len(made), answer
    assert (answer["uploads_removed"], answer["parts_removed"], answer["faults_removed"]) == (1, 1, 1), answer
    assert answer["blobs_removed"] >= len(fixture_ids) + len(made), answer
    assert answer["requests_cleared"] == logged, answer
    assert answer["fixtures_loaded"] == len(fixture_ids), answer

    assert admin.faults() == []
    assert admin.requests() == []
    assert {f.id for f in client.files.list()} == fixture_ids, "only the fixtures again, with the same ids"
    for f in made:
        with pytest.raises(openai.NotFoundError):
            client.files.retrieve(f.id)
    with pytest.raises(openai.NotFoundError):
        client.uploads.parts.create(upload_id=upload.id, data=b"more")
    assert blobs_holding(server.data_dir, marker) == [], "reset leaves no content of removed files or parts behind"
    train = next(e for e in manifest() if e["path"] == "train.jsonl")
    assert client.files.content(train["id"]).read() == (FIXTURES / "train.jsonl").read_bytes()

    assert admin.reset()["files_removed"] == len(fixture_ids), "a second reset finds only the fixtures"
    assert {f.id for f in client.files.list()} == fixture_ids


def test_reset_without_fixtures_empties_the_server(start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client]) -> None:
    server = start_server("--tenancy", "per-key")
    admin = Admin.of(make_raw, server)
    a, b = make_client(server.base_url, api_key="sk-a"), make_client(server.base_url, api_key="sk-b")
    a.files.create(file=("a.txt", b"a"), purpose="user_data")
    b.files.create(file=("b.txt", b"b"), purpose="user_data")
    answer = admin.reset()
    assert (answer["files_removed"], answer["fixtures_loaded"]) == (2, 0), "reset removes the files of every tenant"
    assert a.files.list().data == [] and b.files.list().data == []


BAD_MANIFESTS = [
    ({"files": [{"path": "a.txt", "purpose": "user_data"}, {"path": "missing.txt", "purpose": "user_data"}]}, 1, "missing.txt"),
    ({"files": [{"path": "a.txt", "purpose": "homework"}]}, 0, "homework"),
    ({"files": [{"path": "a.txt", "purpose": "user_data", "colour": "red"}]}, 0, "colour"),
    ({"files": [{"path": "a.txt", "purpose": "user_data", "id": "file-same"}, {"path": "b.txt", "purpose": "user_data", "id": "file-same"}]}, 1, "file-same"),
    ({"files": [{"path": "a.txt", "purpose": "user_data"}, {"path": "b.txt", "purpose": "user_data"}, {"purpose": "user_data"}]}, 2, "path"),
    ({"files": [{"path": "a.txt", "purpose": "user_data", "id": "not-a-file-id"}]}, 0, "not-a-file-id"),
    ({"files": [{"path": "a.txt", "purpose": "batch", "created_at": 1700000000, "expires_at": 1600000000}]}, 0, "expires_at"),
]


@pytest.mark.parametrize(("content", "index", "detail"), BAD_MANIFESTS, ids=["missing-content", "bad-purpose", "unknown-field", "duplicate-id", "no-path", "bad-id", "expires-before-created"])
def test_bad_fixtures_manifest_stops_start_up(tmp_path: Path, content: dict[str, Any], index: int, detail: str) -> None:
    fixtures = tmp_path / "fixtures"
    fixtures.mkdir()
    (fixtures / "a.txt").write_text("a\n")
    (fixtures / "b.txt").write_text("b\n")
    (fixtures / "fixtures.json").write_text(json.dumps(content))
    args = [str(binary_path()), "serve", "--host", "127.0.0.1", "--port", str(free_port()), "--data-dir", str(tmp_path / "data"), "--fixtures", str(fixtures)]
    try:
        run = subprocess.run(args, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"mockfiles kept running with a bad fixtures manifest: {content}")
    assert run.returncode != 0, f"exit code 0 with a bad manifest\n{run.stderr}"
    assert f"files[{index}]" in run.stderr, f"stderr should name files[{index}]:\n{run.stderr}"
    assert detail in run.stderr, f"stderr should say what is wrong ({detail!r}):\n{run.stderr}"


def test_missing_fixtures_manifest_stops_start_up(tmp_path: Path) -> None:
    args = [str(binary_path()), "serve", "--port", str(free_port()), "--data-dir", str(tmp_path / "data"), "--fixtures", str(tmp_path)]
    run = subprocess.run(args, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert run.returncode != 0 and "fixtures.json" in run.stderr, run.stderr


# ---------------------------------------------------------------- admin token


def test_admin_token_guards_the_admin_api(start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client]) -> None:
    server = start_server("--admin-token", "secret")
    for token in (None, "wrong", "sk-test"):
        anonymous = Admin.of(make_raw, server, token=token)
        for method, path in (("POST", "/admin/reset"), ("GET", "/admin/faults"), ("GET", "/admin/clock"), ("GET", "/admin/requests")):
            r = anonymous.http.request(method, path, json={} if method == "POST" else None)
            assert r.status_code == 401, f"{method} {path} with token {token!r}: {r.status_code} {r.text[:300]}"
            error_envelope(r)
    admin = Admin.of(make_raw, server, token="secret")
    assert set(admin.reset()) == RESET_KEYS
    assert admin.faults() == []
    client = make_client(server.base_url)
    assert client.files.list().data == [], "the admin token does not change the API's own keys"


# ---------------------------------------------------------------- id seed


def first_ids(server: Server, make_client: Callable[..., openai.OpenAI]) -> tuple[str, str, str]:
    client = make_client(server.base_url)
    first = client.files.create(file=("one.txt", b"1"), purpose="user_data")
    second = client.files.create(file=("two.txt", b"2"), purpose="user_data")
    upload = client.uploads.create(bytes=1, filename="u.txt", mime_type="text/plain", purpose="user_data")
    return first.id, second.id, upload.id


@pytest.mark.skipif(shared_pair.ENABLED, reason="a seed makes each instance's ids repeat; two instances with one seed are not one sequence")
def test_id_seed_repeats_ids(start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI]) -> None:
    one = first_ids(start_server("--id-seed", "42"), make_client)
    two = first_ids(start_server("--id-seed", "42"), make_client)
    assert one == two
    assert len(set(one)) == 3
    assert first_ids(start_server("--id-seed", "43"), make_client)[0] != one[0]
    assert first_ids(start_server(), make_client)[0] != one[0]


# ---------------------------------------------------------------- environment


def test_settings_from_environment_variables(
    start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    flags = start_server("--fixtures", str(FIXTURES), "--admin-token", "env-secret", "--id-seed", "42", "--processing-delay", "60000")
    for name, value in {"MOCKFILES_FIXTURES_DIR": str(FIXTURES), "MOCKFILES_ADMIN_TOKEN": "env-secret", "MOCKFILES_ID_SEED": "42", "MOCKFILES_PROCESSING_DELAY_MS": "60000"}.items():
        monkeypatch.setenv(name, value)
    env = start_server()
    monkeypatch.undo()

    client = make_client(env.base_url)
    assert {e["id"] for e in manifest() if "id" in e} <= {f.id for f in client.files.list()}, "MOCKFILES_FIXTURES_DIR"
    r = make_raw(env, api_key=None).post("/admin/reset", json={})
    assert r.status_code == 401, f"MOCKFILES_ADMIN_TOKEN: {r.status_code} {r.text[:300]}"
    assert Admin.of(make_raw, env, token="env-secret").reset()["fixtures_loaded"] == len(manifest()), "MOCKFILES_ADMIN_TOKEN"
    f = client.files.create(file=("e.txt", b"e"), purpose="user_data")
    assert f.status == "uploaded", "MOCKFILES_PROCESSING_DELAY_MS"
    g = make_client(flags.base_url).files.create(file=("e.txt", b"e"), purpose="user_data")
    assert f.id == g.id, "MOCKFILES_ID_SEED gives the ids --id-seed gives"
