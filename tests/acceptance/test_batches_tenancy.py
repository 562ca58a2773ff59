"""Batches per tenant (issue 33: "tenancy like files"), per-project mode: keys of one project share
their batches and result files; another project sees none of them, and its refusals name its own
project (per-key mode: test_batches_results.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx2
import openai
import pytest
from mockfiles_kit import Server
from mockfiles_kit.admin import Admin

from helpers import BatchRig, assert_error, chat_line

CONFIG = {
    "tenancy": "per-project",
    "apiKeys": ["sk-web-1=org-a/proj-web", "sk-web-2=org-a/proj-web", "sk-etl=org-a/proj-etl"],
}


@pytest.fixture(scope="module")
def server(start_server: Callable[..., Server], tmp_path_factory: pytest.TempPathFactory) -> Server:
    config: Path = tmp_path_factory.mktemp("batch-tenancy") / "per-project.json"
    config.write_text(json.dumps(CONFIG))
    return start_server("--config", str(config), "--batch-timings", "validating=1s,line=10ms,finalizing=1s,cancelling=1s")


def test_a_project_shares_its_batches_and_no_other_sees_them(server: Server, make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client]) -> None:
    web1 = BatchRig(server, make_client(server.base_url, api_key="sk-web-1"), Admin.of(make_raw, server))
    web2 = make_client(server.base_url, api_key="sk-web-2")
    etl = make_client(server.base_url, api_key="sk-etl")

    batch = web1.create(chat_line("a"))
    web1.advance(3600)
    done = web2.batches.retrieve(batch.id)
    assert done.status == "completed" and done.output_file_id, "a key of the same project sees the batch"
    assert web2.files.content(done.output_file_id).read() == web1.content(done.output_file_id)
    assert [b.id for b in web2.batches.list()] == [batch.id]

    with pytest.raises(openai.NotFoundError) as e:
        etl.batches.retrieve(batch.id)
    assert_error(e.value, 404, message=f"No batch found with id '{batch.id}'.", param=None, code=None)
    with pytest.raises(openai.NotFoundError):
        etl.batches.cancel(batch.id)
    with pytest.raises(openai.NotFoundError):
        etl.files.retrieve(done.output_file_id)
    assert list(etl.batches.list()) == []
    assert etl.files.list(purpose="batch_output").data == []

    with pytest.raises(openai.BadRequestError) as e:
        etl.batches.create(input_file_id=batch.input_file_id, endpoint="/v1/chat/completions", completion_window="24h")
    assert_error(e.value, 400, message=f"Cannot find file {batch.input_file_id}, or project proj-etl does not have access to it.", param="input_file_id", code=None)
