"""GET /v1/files: SDK auto-paging over 320 files, page shape, filters, errors, gzip.

The listing tests run against their own server so they can know exactly which files exist.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx2
import openai
import pytest
from mockfiles_kit import Server

from helpers import assert_error
from openapi_schema import assert_matches
from wirecheck import CHECKER

COUNT = 320


@dataclass
class Population:
    server: Server
    client: openai.OpenAI
    raw: httpx2.Client
    files: list[openai.types.FileObject]

    def ids(self, purpose: str | None = None) -> set[str]:
        return {f.id for f in self.files if purpose is None or f.purpose == purpose}


def create_small(client: openai.OpenAI, i: int) -> openai.types.FileObject:
    if i % 4 == 0:
        return client.files.create(file=(f"b{i:03}.jsonl", f'{{"i": {i}}}\n'.encode()), purpose="batch")
    return client.files.create(file=(f"u{i:03}.txt", f"file {i}".encode()), purpose="user_data")


def create_many(client: openai.OpenAI, count: int, start: int = 0) -> list[openai.types.FileObject]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda i: create_small(client, i), range(start, start + count)))


@pytest.fixture(scope="module")
def population(start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client]) -> Population:
    server = start_server()
    client = make_client(server.base_url)
    files = create_many(client, COUNT)
    assert len({f.id for f in files}) == COUNT
    return Population(server, client, make_raw(server), files)


def assert_ordered_once(listed: list[openai.types.FileObject], expected_ids: set[str], order: str) -> list[str]:
    ids = [f.id for f in listed]
    dupes = {i for i in ids if ids.count(i) > 1}
    assert not dupes, f"{len(dupes)} file(s) listed more than once, e.g. {sorted(dupes)[:5]}"
    missing, extra = expected_ids - set(ids), set(ids) - expected_ids
    assert not missing, f"{len(missing)} file(s) skipped by paging, e.g. {sorted(missing)[:5]}"
    assert not extra, f"{len(extra)} unexpected file(s) listed, e.g. {sorted(extra)[:5]}"
    stamps = [f.created_at for f in listed]
    assert stamps == sorted(stamps, reverse=order == "desc"), f"not in {order} created_at order"
    return ids


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_auto_paging_returns_every_file_once_in_order(population: Population, order: str) -> None:
    listed = list(population.client.files.list(limit=7, order=order))
    assert_ordered_once(listed, population.ids(), order)


def test_desc_is_exactly_asc_reversed(population: Population) -> None:
    asc = [f.id for f in population.client.files.list(limit=7, order="asc")]
    desc = [f.id for f in population.client.files.list(limit=11, order="desc")]
    assert desc == asc[::-1], "ties on created_at must break the same way in both orders (a total order)"


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("purpose", ["batch", "user_data"])
def test_auto_paging_with_purpose_filter(population: Population, order: str, purpose: str) -> None:
    listed = list(population.client.files.list(limit=7, order=order, purpose=purpose))
    assert all(f.purpose == purpose for f in listed)
    ids = assert_ordered_once(listed, population.ids(purpose), order)
    everything = [f.id for f in population.client.files.list(order=order)]
    assert ids == [i for i in everything if i in population.ids(purpose)], "the filter must keep the unfiltered order"


def test_list_of_unused_purpose_is_empty(population: Population) -> None:
    r = population.raw.get("/v1/files", params={"purpose": "vision"})
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "list" and body["data"] == [] and body["has_more"] is False


def test_default_list_is_one_desc_page_of_everything(population: Population) -> None:
    page = population.client.files.list()
    assert page.has_more is False
    listed = page.data
    assert len(listed) == COUNT
    assert_ordered_once(listed, population.ids(), "desc")
    desc = [f.id for f in population.client.files.list(limit=13, order="desc")]
    assert [f.id for f in listed] == desc


def test_raw_pages_have_cursor_fields(population: Population) -> None:
    after, pages, seen = None, 0, []
    while True:
        params = {"limit": 7, "order": "asc", **({"after": after} if after else {})}
        r = population.raw.get("/v1/files", params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        assert_matches("ListFilesResponse", body)
        assert body["object"] == "list"
        data = body["data"]
        pages += 1
        assert data, "a page after a non-final page must not be empty"
        assert body["first_id"] == data[0]["id"]
        assert body["last_id"] == data[-1]["id"]
        seen += [d["id"] for d in data]
        if not body["has_more"]:
            assert len(data) == COUNT - 7 * (pages - 1)
            break
        assert len(data) == 7
        after = body["last_id"]
    assert pages == math.ceil(COUNT / 7)
    assert sorted(seen) == sorted(population.ids())


@pytest.mark.parametrize(("limit", "has_more"), [(COUNT - 1, True), (COUNT, False), (10000, False), (1, True)])
def test_has_more_is_exact(population: Population, limit: int, has_more: bool) -> None:
    r = population.raw.get("/v1/files", params={"limit": limit})
    assert r.status_code == 200
    body = r.json()
    assert len(body["data"]) == min(limit, COUNT)
    assert body["has_more"] is has_more


BELOW_MIN = "Invalid 'limit': integer below minimum value. Expected a value >= 1, but got {} instead."
ABOVE_MAX = "Invalid 'limit': integer above maximum value. Expected a value <= 10000, but got {} instead."


@pytest.mark.parametrize(
    ("params", "param", "code", "message"),
    [
        ({"limit": 0}, "limit", "integer_below_min_value", BELOW_MIN.format(0)),
        ({"limit": 10001}, "limit", "integer_above_max_value", ABOVE_MAX.format(10001)),
        ({"limit": -5}, "limit", "integer_below_min_value", BELOW_MIN.format(-5)),
        ({"limit": "many"}, "limit", "invalid_type", "Invalid 'limit': expected an integer, but got 'many' instead."),
        ({"order": "sideways"}, "order", "invalid_value", "Invalid value: 'sideways'. Supported values are: 'asc' and 'desc'."),
    ],
    ids=["limit-0", "limit-10001", "limit-negative", "limit-not-a-number", "order"],
)
def test_bad_list_params_are_400_naming_the_param(client: openai.OpenAI, params: dict, param: str, code: str, message: str) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        client.files.list(**params)
    assert_error(e.value, 400, param=param, code=code, message=message)


def test_unknown_after_is_404_naming_the_param(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as e:
        client.files.list(after="file-doesnotexist")
    assert_error(e.value, 404, param="after", code=None, message="No such File object: file-doesnotexist")


def test_gzip_when_asked(population: Population) -> None:
    headers = {"Authorization": "Bearer sk-test", "Accept-Encoding": "gzip"}
    with httpx2.stream("GET", f"{population.server.base_url}/files", headers=headers) as r:
        compressed = b"".join(r.iter_raw())
    assert r.status_code == 200
    assert r.headers.get("content-encoding") == "gzip"
    body = json.loads(gzip.decompress(compressed))
    assert len(body["data"]) == COUNT
    assert len(compressed) < len(json.dumps(body)) / 3, "a list of 320 similar objects should compress well"
    replay = httpx2.Response(r.status_code, headers=r.headers, content=compressed, request=r.request)
    assert CHECKER.inspect(replay) == []


def test_no_gzip_unless_asked(population: Population) -> None:
    r = population.raw.get("/v1/files", headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200
    assert r.headers.get("content-encoding") in (None, "identity")
    assert len(r.json()["data"]) == COUNT


def test_paging_survives_inserts_and_deletes_between_pages(start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI]) -> None:
    server = start_server()
    client = make_client(server.base_url)
    original = [client.files.create(file=(f"f{i}.txt", b"x"), purpose="user_data").id for i in range(40)]
    first = client.files.list(limit=5, order="asc")
    seen = [f.id for f in first.data]
    assert seen == original[:5]
    client.files.delete(original[2])  # already seen
    client.files.delete(original[30])  # not yet seen: must not show up
    added = [f.id for f in create_many(client, 3, start=100)]
    page = first
    while page.has_next_page():
        if len(seen) == 10:
            client.files.delete(original[9])  # the cursor itself: paging must go on after it
        page = page.get_next_page()
        seen += [f.id for f in page.data]
    expected = [i for i in original if i != original[30]]
    assert seen[: len(expected)] == expected
    assert sorted(seen[len(expected) :]) == sorted(added), "files added while paging asc come at the end, once"

    desc_first = client.files.list(limit=4, order="desc")
    seen_desc = [f.id for f in desc_first.data]
    newer = {f.id for f in create_many(client, 2, start=200)}  # newer than the cursor: not part of this walk
    page = desc_first
    while page.has_next_page():
        page = page.get_next_page()
        seen_desc += [f.id for f in page.data]
    present = [f.id for f in client.files.list(order="asc")]
    assert set(present[-2:]) == newer
    assert seen_desc == present[:-2][::-1]
