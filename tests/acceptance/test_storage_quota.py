"""--storage-quota-bytes through the official SDK: the real service's quota 400 (captured 2024) for
files.create and Uploads, a quota per tenant, and the room deleted and expired files give back."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx2
import openai
import pytest
from mockfiles_kit import Server, binary_path
from mockfiles_kit.admin import Admin

from helpers import assert_error

QUOTA = 1000
HOUR = 3600
# bespokelabsai/curator#189 (2024) said "100 GB"; the message names the configured limit.
MESSAGE = (
    "You have exceeded your file storage quota. Organizations are limited to 1 KB of files. "
    "Please delete old files or attempt with a smaller file size."
)


@dataclass
class Rig:
    client: openai.OpenAI
    admin: Admin
    make_client: Callable[..., openai.OpenAI]
    base_url: str


@pytest.fixture
def make_rig(start_server: Callable[..., Server], make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client]) -> Callable[..., Rig]:
    """A server of its own per test, with a 1 KB quota: what one test stores must not fill another's."""

    def make(*args: str) -> Rig:
        server = start_server("--storage-quota-bytes", str(QUOTA), *args)
        return Rig(make_client(server.base_url), Admin.of(make_raw, server), make_client, server.base_url)

    return make


def create(client: openai.OpenAI, size: int, **kwargs: object) -> openai.types.FileObject:
    return client.files.create(file=("q.bin", b"q" * size), purpose="user_data", **kwargs)  # type: ignore[arg-type]


def assert_refused(call: Callable[[], object]) -> None:
    __tracebackhide__ = True
    with pytest.raises(openai.BadRequestError) as e:
        call()
    assert_error(e.value, 400, message=MESSAGE, param=None, code=None)


def test_a_file_past_the_quota_is_refused_as_the_real_service_does(make_rig: Callable[..., Rig]) -> None:
    c = make_rig().client
    first = create(c, 600)
    assert_refused(lambda: create(c, 401))
    assert [f.id for f in c.files.list()] == [first.id], "a refused file is not stored"
    last = create(c, 400)
    assert last.bytes == 400, "a file that fills the quota exactly fits"
    assert_refused(lambda: create(c, 1))


def test_deleting_a_file_frees_its_room(make_rig: Callable[..., Rig]) -> None:
    c = make_rig().client
    full = create(c, QUOTA)
    assert_refused(lambda: create(c, 1))
    assert c.files.delete(full.id).deleted
    assert create(c, QUOTA).bytes == QUOTA


def test_expired_files_free_their_room_before_and_after_the_sweep(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    c = rig.client
    create(c, QUOTA, expires_after={"anchor": "created_at", "seconds": HOUR})
    assert_refused(lambda: create(c, QUOTA))
    rig.admin.advance(HOUR)
    kept = create(c, QUOTA)
    assert kept.bytes == QUOTA, "an expired file holds no room even before the sweeper removes it"
    assert_refused(lambda: create(c, 1))
    rig.admin.sweep()
    assert [f["id"] for f in rig.admin.files()["data"]] == [kept.id], "swept (by this call or the background sweeper)"
    assert_refused(lambda: create(c, 1))  # removing the expired file frees nothing twice


def test_each_key_has_its_own_quota_in_per_key_tenancy(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig("--tenancy", "per-key")
    a = rig.make_client(rig.base_url, api_key="sk-quota-a")
    b = rig.make_client(rig.base_url, api_key="sk-quota-b")
    create(a, QUOTA)
    assert_refused(lambda: create(a, 1))
    assert create(b, QUOTA).bytes == QUOTA, "another key's files take none of this key's room"
    assert_refused(lambda: create(b, 1))


def test_an_upload_is_refused_at_create_and_checked_again_at_complete(make_rig: Callable[..., Rig]) -> None:
    c = make_rig().client
    assert_refused(lambda: c.uploads.create(bytes=QUOTA + 1, filename="u.bin", mime_type="application/octet-stream", purpose="user_data"))
    upload = c.uploads.create(bytes=600, filename="u.bin", mime_type="application/octet-stream", purpose="user_data")
    part = c.uploads.parts.create(upload_id=upload.id, data=b"u" * 600)
    meanwhile = create(c, 500)  # a pending Upload holds no room
    assert_refused(lambda: c.uploads.complete(upload.id, part_ids=[part.id]))
    c.files.delete(meanwhile.id)
    completed = c.uploads.complete(upload.id, part_ids=[part.id])
    assert completed.status == "completed" and completed.file is not None and completed.file.bytes == 600
    assert_refused(lambda: c.uploads.create(bytes=401, filename="v.bin", mime_type="application/octet-stream", purpose="user_data"))


@pytest.mark.parametrize(("via", "value"), [("flag", "0"), ("flag", "-5"), ("environment", "100GB")])
def test_a_quota_that_is_not_a_positive_number_stops_the_start(tmp_path: Path, via: str, value: str) -> None:
    args = [str(binary_path()), "serve", "--port", "0", "--data-dir", str(tmp_path / "data")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCKFILES_")}
    if via == "flag":
        args.append(f"--storage-quota-bytes={value}")
    else:
        env["MOCKFILES_STORAGE_QUOTA_BYTES"] = value
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 78, done
    assert done.stderr.startswith("mockfiles: configuration: storageQuotaBytes must be") and done.stderr.count("\n") == 1, done
