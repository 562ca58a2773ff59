"""Tenancy under every `--tenancy` mode, through the SDK.

Two identities that are different tenants (per-key: another key, or the same key with other
OpenAI-Organization/OpenAI-Project headers; per-project: another project, an org-only key choosing
another project by header, an unmapped key) cannot list, retrieve, download or delete each other's
files, nor add parts to, complete or cancel each other's Uploads: every attempt is the exact 404 a
missing object gets, and the owner's file and Upload are untouched afterwards (the Upload is still
pending, takes more parts and completes into the exact bytes). Identities of one tenant (shared mode:
any key with any headers; per-project: keys mapped to one project) share files and Uploads fully.

There is no "retrieve an Upload" endpoint (the SDK has none either), so an Upload being intact is
proven by its owner adding a part to it and completing it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import openai
import pytest
from mockfiles_kit import Server

from helpers import assert_error, assert_upload_object

# Files and Uploads here are purpose=vision (PNG MIME type for Uploads): vision content downloads by default.
PNG = "image/png"
PER_PROJECT_CONFIG = {
    "tenancy": "per-project",
    "apiKeys": ["sk-web-1=org-a/proj-web", "sk-web-2=org-a/proj-web", "sk-etl=org-a/proj-etl", "sk-org-b=org-b"],
}


@dataclass(frozen=True)
class Who:
    """An API key plus the OpenAI-Organization / OpenAI-Project headers it sends (None: not sent)."""

    key: str
    organization: str | None = None
    project: str | None = None

    def __str__(self) -> str:
        return "+".join(p for p in (self.key, self.organization and f"org={self.organization}", self.project and f"proj={self.project}") if p)


# (mode, owner, other): `other` must be a different tenant from `owner`.
ISOLATED = [
    ("per-key", Who("sk-a"), Who("sk-b")),
    ("per-key", Who("sk-a", project="proj-1"), Who("sk-a", project="proj-2")),
    ("per-key", Who("sk-a"), Who("sk-a", project="proj-1")),
    ("per-key", Who("sk-a"), Who("sk-a", organization="org-1")),
    ("per-project", Who("sk-web-1"), Who("sk-etl")),
    # A key mapped only to an organization takes its project from the header.
    ("per-project", Who("sk-org-b"), Who("sk-org-b", project="proj-x")),
    ("per-project", Who("sk-org-b", project="proj-x"), Who("sk-org-b", project="proj-y")),
    ("per-project", Who("sk-web-1"), Who("sk-unmapped")),
]

# Identities refused with 401 before they reach any file: a mapped key naming another scope in a
# header, and (per-project) an unmapped key claiming an organization the key mapping names.
REFUSED = [
    (Who("sk-etl", organization="org-a", project="proj-web"), "mismatched_project", "OpenAI-Project header should match project for API key"),
    (Who("sk-web-1", organization="org-b"), "mismatched_organization", "OpenAI-Organization header should match organization for API key"),
    (Who("sk-unmapped", organization="org-a", project="proj-web"), "mismatched_organization", "OpenAI-Organization header should match organization for API key"),
    (Who("sk-unmapped", organization="org-b"), "mismatched_organization", "OpenAI-Organization header should match organization for API key"),
]

# (mode, owner, other): `other` must be the same tenant as `owner`.
SHARED = [
    ("shared", Who("sk-a"), Who("sk-b")),
    ("shared", Who("sk-a", organization="org-1", project="proj-1"), Who("sk-b", organization="org-2", project="proj-2")),
    ("per-project", Who("sk-web-1"), Who("sk-web-2")),
    ("per-project", Who("sk-unmapped-1"), Who("sk-unmapped-2")),
]


def ids(cases: list[tuple[str, Who, Who]]) -> list[str]:
    return [f"{mode}:{a}|{b}" for mode, a, b in cases]


@pytest.fixture(scope="module")
def server_for(start_server: Callable[..., Server], tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Server]:
    """One server per tenancy mode, started on first use."""
    started: dict[str, Server] = {}

    def get(mode: str) -> Server:
        if mode not in started:
            if mode == "per-project":
                config = tmp_path_factory.mktemp("tenancy") / "per-project.json"
                config.write_text(json.dumps(PER_PROJECT_CONFIG))
                started[mode] = start_server("--config", str(config))
            else:
                started[mode] = start_server("--tenancy", mode)
        return started[mode]

    return get


@pytest.fixture
def clients(server_for: Callable[[str], Server], make_client: Callable[..., openai.OpenAI]) -> Callable[[str, Who], openai.OpenAI]:
    def make(mode: str, who: Who) -> openai.OpenAI:
        return make_client(server_for(mode).base_url, api_key=who.key, organization=who.organization, project=who.project)

    return make


@pytest.mark.parametrize(("mode", "owner", "other"), ISOLATED, ids=ids(ISOLATED))
def test_other_tenant_cannot_touch_files_or_uploads(
    clients: Callable[[str, Who], openai.OpenAI], mode: str, owner: Who, other: Who
) -> None:
    a, b = clients(mode, owner), clients(mode, other)
    content = f"owned by {owner} in {mode}".encode()
    mine = a.files.create(file=("mine.txt", content), purpose="vision")
    upload = a.uploads.create(bytes=6, filename="up.bin", mime_type=PNG, purpose="vision")
    first = a.uploads.parts.create(upload_id=upload.id, data=b"abc")

    assert mine.id not in {f.id for f in b.files.list()}
    for call in (b.files.retrieve, b.files.content, b.files.delete):
        with pytest.raises(openai.NotFoundError) as e:
            call(mine.id)
        assert_error(e.value, 404, message=f"No such File object: {mine.id}", param="id", code=None)
    upload_calls: list[Callable[[], object]] = [
        lambda: b.uploads.parts.create(upload_id=upload.id, data=b"xyz"),
        lambda: b.uploads.complete(upload_id=upload.id, part_ids=[first.id]),
        lambda: b.uploads.cancel(upload.id),
    ]
    for call in upload_calls:
        with pytest.raises(openai.NotFoundError) as e:
            call()
        assert_error(e.value, 404, message=f"No such Upload object: {upload.id}", param="id", code=None)

    assert a.files.retrieve(mine.id) == mine
    assert a.files.content(mine.id).read() == content
    assert mine.id in {f.id for f in a.files.list()}
    second = a.uploads.parts.create(upload_id=upload.id, data=b"def")
    completed = a.uploads.with_raw_response.complete(upload_id=upload.id, part_ids=[first.id, second.id])
    assert_upload_object(completed.http_response.json(), status="completed", filename="up.bin", purpose="vision", size=6)  # as on the wire
    done = completed.parse()
    assert done.file is not None
    assert a.files.content(done.file.id).read() == b"abcdef"
    assert done.file.id not in {f.id for f in b.files.list()}


@pytest.mark.parametrize(("who", "code", "message"), REFUSED, ids=[str(who) for who, _, _ in REFUSED])
def test_headers_cannot_reach_another_scope(clients: Callable[[str, Who], openai.OpenAI], who: Who, code: str, message: str) -> None:
    owner = clients("per-project", Who("sk-web-1"))
    mine = owner.files.create(file=("web.txt", b"web project only"), purpose="vision")
    intruder = clients("per-project", who)
    calls: list[Callable[[], object]] = [intruder.files.list, lambda: intruder.files.retrieve(mine.id), lambda: intruder.files.content(mine.id)]
    for call in calls:
        with pytest.raises(openai.AuthenticationError) as e:
            call()
        assert_error(e.value, 401, message=message, param=None, code=code)
    assert owner.files.content(mine.id).read() == b"web project only"


@pytest.mark.parametrize(("mode", "owner", "other"), SHARED, ids=ids(SHARED))
def test_same_tenant_shares_files_and_uploads(
    clients: Callable[[str, Who], openai.OpenAI], mode: str, owner: Who, other: Who
) -> None:
    a, b = clients(mode, owner), clients(mode, other)
    content = f"shared by {owner} in {mode}".encode()
    f = a.files.create(file=("ours.txt", content), purpose="vision")
    assert f.id in {x.id for x in b.files.list()}
    assert b.files.retrieve(f.id) == f
    assert b.files.content(f.id).read() == content

    upload = a.uploads.create(bytes=6, filename="ours.bin", mime_type=PNG, purpose="vision")
    first = a.uploads.parts.create(upload_id=upload.id, data=b"abc")
    second = b.uploads.parts.create(upload_id=upload.id, data=b"def")
    done = b.uploads.complete(upload_id=upload.id, part_ids=[first.id, second.id])
    assert done.file is not None
    assert a.files.content(done.file.id).read() == b"abcdef"

    doomed = a.uploads.create(bytes=1, filename="doomed.bin", mime_type=PNG, purpose="vision")
    assert b.uploads.cancel(doomed.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError) as e:
        a.uploads.parts.create(upload_id=doomed.id, data=b"x")
    assert_error(e.value, 400, code="upload_not_pending")

    assert b.files.delete(f.id).deleted
    with pytest.raises(openai.NotFoundError) as e:
        a.files.retrieve(f.id)
    assert_error(e.value, 404, message=f"No such File object: {f.id}", param="id")
