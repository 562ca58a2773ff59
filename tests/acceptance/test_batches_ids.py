"""Ids no batch or file can have (a NUL: PostgreSQL cannot even compare one, and answered 500) are
answered as unknown ones, on every backend (run with MOCKFILES_ACCEPTANCE_SHARED=1 for PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable

import httpx2
import openai
from mockfiles_kit import Server

from helpers import BatchRig, chat_line


def test_an_id_with_a_nul_is_an_unknown_one(start_test_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client]) -> None:
    rig = BatchRig.start(start_test_server, make_client, make_raw)
    made = rig.create(chat_line("a"))
    http = httpx2.Client(base_url=rig.server.base_url, headers={"Authorization": "Bearer sk-test"}, timeout=30)
    body = {"input_file_id": "file-\u0000x", "endpoint": "/v1/chat/completions", "completion_window": "24h"}
    r = http.post("/batches", json=body)
    assert r.status_code == 400 and r.json()["error"]["message"].startswith("Cannot find file file-\u0000x"), r.text
    assert r.json()["error"]["param"] == "input_file_id", r.text
    # The values the service checks before the file still come first.
    r = http.post("/batches", json={**body, "endpoint": "/v1/nothing"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "endpoint", r.text
    r = http.get("/batches", params={"after": "batch_\u0000"})
    assert r.status_code == 404 and r.json()["error"]["message"] == "No batch found with id 'batch_\u0000'.", r.text
    assert [b["id"] for b in http.get("/batches").json()["data"]] == [made.id]
