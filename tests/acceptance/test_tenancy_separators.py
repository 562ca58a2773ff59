"""Per-project tenants cannot merge through a separator: with `MOCKFILES_API_KEYS=sk-v=org-a/team/p1`
(organization `org-a`, project `team/p1`), an unknown key that sends `OpenAI-Organization: org-a/team`
and `OpenAI-Project: p1` is another tenant. It sees none of the victim's files or Uploads (the 404 a
missing object gets), and the victim none of its own. Through the SDK, configured by the environment."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest
from mockfiles_kit import Server

from helpers import assert_error


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    run = tmp_path_factory.mktemp("separators")
    started = Server.start(run / "data", run / "logs", env={"MOCKFILES_TENANCY": "per-project", "MOCKFILES_API_KEYS": "sk-v=org-a/team/p1"})
    yield started
    assert started.stop() == 0, started.output()


def client(server: Server, key: str, organization: str | None = None, project: str | None = None) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=key, organization=organization, project=project, max_retries=0)


@pytest.mark.parametrize(
    ("organization", "project"),
    [("org-a/team", "p1"), ("org-a%2Fteam", "p1")],
    ids=["split-elsewhere", "pre-escaped"],
)
def test_an_unknown_key_cannot_reach_a_project_by_moving_the_separator(server: Server, organization: str, project: str | None) -> None:
    victim = client(server, "sk-v")
    secret = victim.files.create(file=("secret.txt", b"the victim's bytes"), purpose="vision")
    upload = victim.uploads.create(bytes=6, filename="up.bin", mime_type="image/png", purpose="vision")
    part = victim.uploads.parts.create(upload_id=upload.id, data=b"abc")

    intruder = client(server, "sk-intruder", organization, project)
    assert secret.id not in {f.id for f in intruder.files.list()}
    for call in (intruder.files.retrieve, intruder.files.content, intruder.files.delete):
        with pytest.raises(openai.NotFoundError) as e:
            call(secret.id)
        assert_error(e.value, 404, message=f"No such File object: {secret.id}", param="id", code=None)
    with pytest.raises(openai.NotFoundError):
        intruder.uploads.complete(upload_id=upload.id, part_ids=[part.id])
    own = intruder.files.create(file=("own.txt", b"intruder"), purpose="vision")
    assert own.id not in {f.id for f in victim.files.list()}

    assert victim.files.content(secret.id).read() == b"the victim's bytes"
    rest = victim.uploads.parts.create(upload_id=upload.id, data=b"def")
    assert victim.uploads.complete(upload_id=upload.id, part_ids=[part.id, rest.id]).status == "completed"


def test_the_configured_key_still_reaches_its_own_project(server: Server) -> None:
    victim = client(server, "sk-v", "org-a", "team/p1")
    mine = victim.files.create(file=("mine.txt", b"mine"), purpose="vision")
    assert client(server, "sk-v").files.retrieve(mine.id).id == mine.id
