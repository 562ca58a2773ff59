"""--tenancy per-key: one key's files are invisible to another; shared tenancy shares them."""

from __future__ import annotations

from collections.abc import Callable

import openai
import pytest
from mockfiles_kit import Server

from helpers import assert_error


@pytest.fixture(scope="module")
def per_key(start_server: Callable[..., Server]) -> Server:
    return start_server("--tenancy", "per-key")


def test_files_of_one_key_are_invisible_to_another(make_client: Callable[..., openai.OpenAI], per_key: Server) -> None:
    a = make_client(per_key.base_url, api_key="sk-a")
    b = make_client(per_key.base_url, api_key="sk-b")
    mine = a.files.create(file=("a.txt", b"only a"), purpose="vision")  # vision: downloadable by default
    theirs = b.files.create(file=("b.txt", b"only b"), purpose="vision")

    for call in (b.files.retrieve, b.files.content, b.files.delete):
        with pytest.raises(openai.NotFoundError) as e:
            call(mine.id)
        assert_error(e.value, 404, message=f"No such File object: {mine.id}", param="id")
    assert mine.id not in {f.id for f in b.files.list()}
    assert theirs.id in {f.id for f in b.files.list()}

    assert a.files.retrieve(mine.id) == mine, "a failed delete by another key must not touch the file"
    assert a.files.content(mine.id).read() == b"only a"
    assert [f.id for f in a.files.list(limit=1, order="asc")] == [mine.id]
    assert theirs.id not in {f.id for f in a.files.list()}


def test_shared_tenancy_shares_files_across_keys(make_client: Callable[..., openai.OpenAI], base_url: str) -> None:
    a = make_client(base_url, api_key="sk-shared-a")
    b = make_client(base_url, api_key="sk-shared-b")
    f = a.files.create(file=("s.txt", b"shared"), purpose="vision")
    assert b.files.retrieve(f.id) == f
    assert b.files.content(f.id).read() == b"shared"
