"""GET /v1/batches (issue 33): newest first, `limit` 1…100 (default 20), `after` strictly after that id,
`first_id`/`last_id`/`has_more`, in the recorded key order and layout (docs/batches-evidence.md, section 3)."""

from __future__ import annotations

from collections.abc import Callable

import httpx2
import openai
import pytest
from mockfiles_kit import Server

from helpers import BATCH_LIST_ORDER, BatchRig, assert_batch_object, assert_error, batch_layout, chat_line

COUNT = 23  # more than the default page


@pytest.fixture(scope="module")
def rig(start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client]) -> BatchRig:
    return BatchRig.start(start_server, make_client, make_raw)


@pytest.fixture(scope="module")
def made(rig: BatchRig) -> list[str]:
    """COUNT batches, one clock second apart (frozen), oldest first."""
    rig.freeze()
    input_id = rig.upload(chat_line("r1"))
    ids = []
    for _ in range(COUNT):
        ids.append(rig.client.batches.create(input_file_id=input_id, endpoint="/v1/chat/completions", completion_window="24h").id)
        rig.advance(1)
    return ids


@pytest.fixture(scope="module")
def http(rig: BatchRig, make_raw: Callable[..., httpx2.Client]) -> httpx2.Client:
    return make_raw(rig.server)


def page(http: httpx2.Client, **query: object) -> dict:
    r = http.get("/v1/batches", params=query, headers={"Accept-Encoding": "identity"})  # Content-Length of the JSON itself
    assert r.status_code == 200, r.text
    assert "content-encoding" not in r.headers and int(r.headers["content-length"]) == len(r.content), r.headers
    body = batch_layout(r.content)
    assert list(body) == BATCH_LIST_ORDER, f"list keys {list(body)}, want {BATCH_LIST_ORDER}"
    assert body["object"] == "list"
    for b in body["data"]:
        assert_batch_object(b)
    if body["data"]:
        assert (body["first_id"], body["last_id"]) == (body["data"][0]["id"], body["data"][-1]["id"]), body
    return body


def test_default_page_is_the_newest_twenty(http: httpx2.Client, made: list[str]) -> None:
    body = page(http)
    newest_first = made[::-1]
    assert [b["id"] for b in body["data"]] == newest_first[:20]
    assert body["has_more"] is True
    created = [b["created_at"] for b in body["data"]]
    assert created == sorted(created, reverse=True) and len(set(created)) == 20


def test_after_starts_strictly_after_that_id(http: httpx2.Client, made: list[str]) -> None:
    newest_first = made[::-1]
    first = page(http, limit=2)
    assert [b["id"] for b in first["data"]] == newest_first[:2] and first["has_more"] is True
    second = page(http, limit=2, after=first["last_id"])
    assert [b["id"] for b in second["data"]] == newest_first[2:4], "no overlap, nothing skipped"
    rest = page(http, limit=100, after=second["last_id"])
    assert [b["id"] for b in rest["data"]] == newest_first[4:] and rest["has_more"] is False


def test_last_page_says_there_is_no_more(http: httpx2.Client, made: list[str]) -> None:
    body = page(http, limit=COUNT)
    assert len(body["data"]) == COUNT and body["has_more"] is False
    tail = page(http, limit=5, after=made[2])  # the third oldest: two older ones remain
    assert [b["id"] for b in tail["data"]] == [made[1], made[0]] and tail["has_more"] is False


def test_sdk_pages_through_every_batch(rig: BatchRig, made: list[str]) -> None:
    seen = [b.id for b in rig.client.batches.list(limit=3)]
    assert seen == made[::-1], "auto-pagination with after= walks every batch once, newest first"
    first = rig.client.batches.list(limit=1)
    assert [b.id for b in first.data] == [made[-1]] and first.has_more is True


@pytest.mark.parametrize("limit", [1, 100])
def test_limit_bounds_are_taken(http: httpx2.Client, made: list[str], limit: int) -> None:
    assert len(page(http, limit=limit)["data"]) == min(limit, COUNT)


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten"])
def test_limit_out_of_bounds_is_refused(http: httpx2.Client, made: list[str], limit: str) -> None:
    assert_error(http.get("/v1/batches", params={"limit": limit}), 400)


def test_empty_list(start_test_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client]) -> None:
    rig = BatchRig.start(start_test_server, make_client, make_raw)
    body = page(make_raw(rig.server))
    assert (body["data"], body["has_more"]) == ([], False)
    assert list(rig.client.batches.list()) == []
