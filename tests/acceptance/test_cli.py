"""`mockfiles files …`, the Files API client on the command line, run as a subprocess against a real server.

What this proves, each through the CLI's exact stdout, stderr and exit code, cross-checked against the
server's own answers (the official SDK or raw httpx2) and its admin API:

- create / list / retrieve / delete print the File objects the server stores, as a table or as the
  API's JSON (pretty-printed, keys sorted); list pages like the API (--purpose, --limit, --order,
  --after, the has_more hint on stderr) and --all walks every page into one list;
- content is byte-exact to stdout (also as `-o -`) and to -o, and -o appears only for a complete download; an
  existing directory as -o is refused (exit 8) and kept whole, an empty -o is a usage error (64);
- big files stream both ways with a progress bar on stderr;
- every failure has its documented exit code (2 bad request, 3 not found, 4 auth, 5 rate limited,
  6 server error, 7 cannot connect, 8 local file, 64 usage) and one `mockfiles: …` line on stderr;
- filenames keep their characters (quotes, CR and LF percent-encoded as the SDK does), and a table
  row stays one line whatever the name holds;
- --base-url and --api-key override OPENAI_BASE_URL and OPENAI_API_KEY.

The CLI's own traffic does not pass through the wire checker (it is not Python); the checks here
compare it with answers that do.
"""

from __future__ import annotations

import hashlib
import json
import os
import pty
import re
import select
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from mockfiles_kit import Server, binary_path, free_port
from mockfiles_kit.admin import Admin
from openai.types import FileObject

from helpers import assert_file_object, error_envelope

API_KEY = "sk-test"
CALL_TIMEOUT = 60.0
CONNECT_TIMEOUT = 10.0  # a refused connection must fail well within this
COLUMNS = ("ID", "PURPOSE", "BYTES", "CREATED", "EXPIRES", "STATUS", "FILENAME")
NO_KEY = "Error: No API key: set OPENAI_API_KEY or pass --api-key.\n"


# ---------------------------------------------------------------- running the CLI


@dataclass(frozen=True)
class Run:
    """One finished `mockfiles files …`."""

    args: tuple[str, ...]
    code: int
    stdout: bytes
    stderr: str

    @property
    def out(self) -> str:
        return self.stdout.decode()

    def json(self) -> Any:
        """stdout as JSON, checked to be pretty-printed with every object's keys sorted."""

        def sorted_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            keys = [k for k, _ in pairs]
            assert keys == sorted(keys), f"keys not sorted: {keys}\n{self}"
            return dict(pairs)

        assert self.out.endswith("}\n") and "\n  " in self.out, f"want pretty-printed JSON\n{self}"
        return json.loads(self.out, object_pairs_hook=sorted_object)

    def __str__(self) -> str:
        stdout = repr(self.stdout[:300]) + ("…" if len(self.stdout) > 300 else "")
        return f"$ mockfiles files {' '.join(self.args)}\nexit {self.code}\nstdout: {stdout}\nstderr: {self.stderr[-3000:]!r}"


def cli_env(base_url: str | None, api_key: str | None) -> dict[str, str]:
    """The caller's environment without any OPENAI_* variable, plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    if base_url is not None:
        env["OPENAI_BASE_URL"] = base_url
    if api_key is not None:
        env["OPENAI_API_KEY"] = api_key
    return env


@dataclass(frozen=True)
class Cli:
    """`mockfiles files` with OPENAI_BASE_URL and OPENAI_API_KEY set (None: unset)."""

    base_url: str | None
    api_key: str | None = API_KEY

    def __call__(self, *args: str | Path, want: int = 0, timeout: float = CALL_TIMEOUT, cwd: Path | None = None) -> Run:
        """Runs the command (in `cwd` when given) and asserts its exit code is `want` and that it exits within `timeout` seconds."""
        argv = tuple(str(a) for a in args)
        try:
            p = subprocess.run(
                [str(binary_path()), "files", *argv],
                env=cli_env(self.base_url, self.api_key),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
                cwd=cwd,
            )
        except subprocess.TimeoutExpired as e:
            hung = Run(argv, -1, e.stdout or b"", (e.stderr or b"").decode(errors="replace"))
            pytest.fail(f"still running after {timeout:.0f}s (killed), want exit {want}\n{hung}", pytrace=False)
        run = Run(argv, p.returncode, p.stdout, p.stderr.decode(errors="replace"))
        assert run.code == want, f"want exit {want}\n{run}"
        return run

    def with_tty_stderr(self, *args: str | Path) -> tuple[int, str]:
        """Runs the command with stderr on a pseudo-terminal; its exit code and what the terminal showed."""
        leader, follower = pty.openpty()
        try:
            p = subprocess.Popen(
                [str(binary_path()), "files", *(str(a) for a in args)],
                env=cli_env(self.base_url, self.api_key),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=follower,
            )
            os.close(follower)
            follower = -1
            shown, deadline = b"", time.monotonic() + CALL_TIMEOUT
            while time.monotonic() < deadline:
                if select.select([leader], [], [], 0.5)[0]:
                    try:
                        chunk = os.read(leader, 65536)
                    except OSError:  # EIO: every writer has closed the terminal
                        break
                    if not chunk:
                        break
                    shown += chunk
                elif p.poll() is not None:
                    break
            try:
                return p.wait(timeout=5), shown.decode(errors="replace")
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                pytest.fail(f"still running after {CALL_TIMEOUT:.0f}s (killed): {' '.join(map(str, args))}", pytrace=False)
        finally:
            os.close(leader)
            if follower >= 0:
                os.close(follower)


# ---------------------------------------------------------------- what the CLI should print


def utc(stamp: int | None) -> str:
    return "-" if stamp is None else datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M:%S")


def one_line(filename: str) -> str:
    """A filename as a table cell: each line break (CRLF counts once) or tab becomes a space."""
    return re.sub(r"\r\n|[\n\r\t\v\f\x85\u2028\u2029]", " ", filename)


def row(f: FileObject) -> list[str]:
    return [f.id, f.purpose, str(f.bytes), utc(f.created_at), utc(f.expires_at), f.status, one_line(f.filename)]


def table(files: Sequence[FileObject]) -> str:
    """The table `files list` prints: columns padded to their widest cell, two spaces apart, the last unpadded."""
    rows = [list(COLUMNS), *(row(f) for f in files)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS) - 1)]
    return "".join("  ".join([*(cell.ljust(w) for cell, w in zip(r, widths)), r[-1]]) + "\n" for r in rows)


def parse_table(out: str) -> list[dict[str, str]]:
    """A printed table's rows as {column: cell}, cut at the header's column offsets."""
    header, *lines = out.splitlines()
    assert header.split() == list(COLUMNS), out
    starts = [header.index(c) for c in COLUMNS]
    return [{c: line[a:b].rstrip() for c, a, b in zip(COLUMNS, starts, [*starts[1:], None])} for line in lines]


def table_ids(out: str) -> list[str]:
    return [r["ID"] for r in parse_table(out)]


def error_line(status: int, error: dict[str, Any]) -> str:
    """`mockfiles: HTTP 400: <message> (type t, param p, code c)`, naming only the string fields."""
    details = [f"{k} {error[k]}" for k in ("type", "param", "code") if isinstance(error.get(k), str)]
    return f"mockfiles: HTTP {status}: {error['message']}" + (f" ({', '.join(details)})" if details else "") + "\n"


def not_found_line(file_id: str) -> str:
    return f"mockfiles: HTTP 404: No such File object: {file_id} (type invalid_request_error, param id)\n"


def hint(last_id: str) -> str:
    return f"more files: add --after {last_id}, or --all\n"


def sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def assert_progress(stderr: str, label: str, total: str) -> None:
    """A bar redrawn in place (each draw starts with \\r) that ends at 100% of `total`, then one newline."""
    assert stderr.startswith(f"\r{label} ") and stderr.endswith("\n") and stderr.count("\n") == 1, repr(stderr)
    draws = stderr[1:-1].split("\r")
    assert all(d.startswith(f"{label} ") and d.endswith("/s\x1b[K") for d in draws), draws
    assert draws[-1].startswith(f"{label} 100% [{'=' * 24}] {total} / {total}  "), draws[-1]


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def cli_server(start_server: Callable[..., Server]) -> Server:
    """A server of its own: every test starts from an empty store (see `api`)."""
    return start_server()


@dataclass
class Api:
    """The module's server, the CLI pointed at it, and the Python clients that cross-check it."""

    server: Server
    cli: Cli
    sdk: openai.OpenAI
    raw: httpx2.Client
    admin: Admin

    def upload(self, name: str, data: bytes, purpose: str = "user_data") -> FileObject:
        return self.sdk.files.create(file=(name, data), purpose=purpose)

    def listed(self, **params: Any) -> list[FileObject]:
        return self.sdk.files.list(limit=10000, **params).data

    def requests(self, method: str) -> list[dict[str, Any]]:
        """Logged `method /v1/files` requests, newest first."""
        return [e for e in self.admin.requests(path="/v1/files") if e["method"] == method]


@pytest.fixture(scope="module")
def clients(cli_server: Server, make_client: Callable[..., openai.OpenAI], make_raw: Callable[..., httpx2.Client]) -> Api:
    return Api(cli_server, Cli(cli_server.base_url), make_client(cli_server.base_url), make_raw(cli_server), Admin.of(make_raw, cli_server))


@pytest.fixture
def api(clients: Api) -> Api:
    """`clients` after POST /admin/reset: no files, no faults, an empty request log."""
    clients.admin.reset()
    return clients


@pytest.fixture
def five(api: Api) -> list[FileObject]:
    """Five files, oldest first: batch, user_data, batch, user_data, user_data."""
    files = []
    for i in range(5):
        if i % 2 == 0:
            files.append(api.upload(f"b{i}.jsonl", f'{{"i": {i}}}\n'.encode(), purpose="batch"))
        else:
            files.append(api.upload(f"u{i}.txt", f"file {i}".encode()))
    assert [f.id for f in api.listed(order="asc")] == [f.id for f in files]
    return files


@pytest.fixture(scope="module")
def blob() -> bytes:
    """About 3 MB of random bytes with NULs and line breaks of every kind in it."""
    return b"\x00\x00\r\n\n\r\x00" + os.urandom(3_000_000) + b"\x00"


@pytest.fixture
def short_body_url() -> Iterator[str]:
    """A stand-in API whose every answer promises 100000 bytes and hangs up after 5000."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n" + b"x" * 5000)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    stop.set()
    thread.join(timeout=5)
    listener.close()


# ---------------------------------------------------------------- create


def test_create_prints_the_stored_file_as_a_table(api: Api, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"some notes\n")
    run = api.cli("create", path, "--purpose", "user_data")
    [file_id] = table_ids(run.out)
    stored = api.sdk.files.retrieve(file_id)
    assert_file_object(api.raw.get(f"/v1/files/{file_id}").json(), filename="notes.txt", purpose="user_data", size=11)
    assert run.out == table([stored])
    assert run.stderr == ""
    assert [f.id for f in api.listed()] == [file_id]


def test_create_json_is_the_stored_file_object(api: Api, tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b'{"a": 1}\n{"a": 2}\n')
    run = api.cli("create", path, "--purpose", "batch", "--json")
    created = run.json()
    assert created == api.raw.get(f"/v1/files/{created['id']}").json()
    assert_file_object(created, filename="rows.jsonl", purpose="batch", size=18, wire=False)  # the CLI sorts keys
    assert run.stderr == ""


def test_create_with_expires_after(api: Api, tmp_path: Path) -> None:
    path = tmp_path / "short-lived.txt"
    path.write_bytes(b"gone in an hour")
    created = api.cli("create", path, "--purpose", "user_data", "--expires-after", "3600", "--json").json()
    assert created["expires_at"] == created["created_at"] + 3600
    stored = api.sdk.files.retrieve(created["id"])
    assert stored.expires_at == created["expires_at"]
    shown = api.cli("retrieve", created["id"]).out
    assert shown == table([stored])
    [shown_row] = parse_table(shown)
    assert shown_row["EXPIRES"] == utc(created["created_at"] + 3600), "EXPIRES is created_at + 3600 s, in UTC"
    assert shown_row["CREATED"] == utc(created["created_at"])


# ---------------------------------------------------------------- list


def test_list_table_is_the_api_order(api: Api, five: list[FileObject]) -> None:
    run = api.cli("list")
    assert run.out == table(api.listed())
    assert table_ids(run.out) == [f.id for f in reversed(five)], "newest first by default"
    assert run.stderr == ""


def test_list_of_nothing_is_the_header(api: Api) -> None:
    run = api.cli("list")
    assert run.out == "ID  PURPOSE  BYTES  CREATED  EXPIRES  STATUS  FILENAME\n"
    assert run.stderr == ""


@pytest.mark.parametrize("purpose", ["batch", "user_data", "vision"])
def test_list_purpose_filter(api: Api, five: list[FileObject], purpose: str) -> None:
    run = api.cli("list", "--purpose", purpose)
    expected = api.listed(purpose=purpose)
    assert run.out == table(expected)
    assert {f.id for f in expected} == {f.id for f in five if f.purpose == purpose}
    assert run.stderr == ""


def test_limit_and_order_asc_show_the_oldest_and_hint_at_more(api: Api, five: list[FileObject]) -> None:
    run = api.cli("list", "--limit", "2", "--order", "asc")
    assert run.out == table(five[:2])
    assert run.stderr == hint(five[1].id)


def test_after_pages_on_until_the_hint_stops(api: Api, five: list[FileObject]) -> None:
    second = api.cli("list", "--limit", "2", "--order", "asc", "--after", five[1].id)
    assert second.out == table(five[2:4])
    assert second.stderr == hint(five[3].id)
    last = api.cli("list", "--limit", "2", "--order", "asc", "--after", five[3].id)
    assert last.out == table(five[4:])
    assert last.stderr == "", "no hint on the last page"


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_all_follows_has_more(api: Api, five: list[FileObject], order: str) -> None:
    before = len(api.requests("GET"))
    run = api.cli("list", "--all", "--limit", "2", "--order", order)
    assert run.out == table(five if order == "asc" else five[::-1])
    assert run.stderr == ""
    assert len(api.requests("GET")) - before == 3, "5 files at 2 a page are 3 requests"


@pytest.mark.parametrize("purpose", [None, "user_data"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_all_json_is_one_list_of_every_page(api: Api, five: list[FileObject], order: str, purpose: str | None) -> None:
    filters = ["--purpose", purpose] if purpose else []
    run = api.cli("list", "--all", "--json", "--limit", "2", "--order", order, *filters)
    one_page = api.raw.get("/v1/files", params={"limit": 100, "order": order, **({"purpose": purpose} if purpose else {})}).json()
    assert one_page["has_more"] is False
    assert run.json() == one_page
    assert run.stderr == ""


@pytest.mark.parametrize(
    "params",
    [{}, {"limit": 2}, {"limit": 2, "order": "asc"}, {"purpose": "batch"}, {"limit": 2, "order": "asc", "after": 1}, {"limit": 3, "after": 3}],
    ids=["default", "limit", "limit-asc", "purpose", "after-asc", "after-desc"],
)
def test_list_json_is_the_servers_page(api: Api, five: list[FileObject], params: dict[str, Any]) -> None:
    """`after` here is an index into `five`."""
    query = {k: (five[v].id if k == "after" else v) for k, v in params.items()}
    run = api.cli("list", "--json", *(arg for k, v in query.items() for arg in (f"--{k}", str(v))))
    assert run.json() == api.raw.get("/v1/files", params=query).json()
    assert run.stderr == "", "the has_more hint is for the table only"


# ---------------------------------------------------------------- retrieve and delete


def test_retrieve_table_and_json(api: Api) -> None:
    f = api.upload("one.txt", b"one")
    assert api.cli("retrieve", f.id).out == table([api.sdk.files.retrieve(f.id)])
    assert api.cli("retrieve", f.id, "--json").json() == api.raw.get(f"/v1/files/{f.id}").json()


@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_delete_then_retrieve_is_not_found(api: Api, as_json: bool) -> None:
    f = api.upload("doomed.txt", b"bye")
    kept = api.upload("kept.txt", b"stay")
    run = api.cli("delete", f.id, *(["--json"] if as_json else []))
    if as_json:
        assert run.json() == {"id": f.id, "object": "file", "deleted": True}
    else:
        assert run.out == f"deleted {f.id}\n"
    assert run.stderr == ""
    with pytest.raises(openai.NotFoundError):
        api.sdk.files.retrieve(f.id)
    assert [x.id for x in api.listed()] == [kept.id]

    for command in ("retrieve", "delete"):
        gone = api.cli(command, f.id, want=3)
        assert gone.stdout == b""
        assert gone.stderr == not_found_line(f.id)


# ---------------------------------------------------------------- content


@pytest.mark.parametrize("flags", [[], ["--progress"]], ids=["quiet", "progress"])
def test_content_to_stdout_is_byte_exact(api: Api, blob: bytes, flags: list[str]) -> None:
    f = api.upload("blob.bin", blob, purpose="vision")  # vision: downloadable by default (user_data is not)
    run = api.cli("content", f.id, *flags)
    assert len(run.stdout) == len(blob) and run.stdout == blob
    if flags:
        assert_progress(run.stderr, "downloading", "2.9 MiB")
    else:
        assert run.stderr == ""


def test_content_to_a_file_creates_or_replaces_it(api: Api, blob: bytes, tmp_path: Path) -> None:
    f = api.upload("blob.bin", blob, purpose="vision")
    out = tmp_path / "out.bin"
    for _ in ("created", "replaced"):
        run = api.cli("content", f.id, "-o", out)
        assert (run.stdout, run.stderr) == (b"", "")
        assert out.read_bytes() == blob
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"], "no temporary file left behind"


def test_content_into_a_missing_directory_is_a_local_error(api: Api, tmp_path: Path) -> None:
    f = api.upload("x.txt", b"x", purpose="vision")
    out = tmp_path / "missing" / "dir" / "x.txt"
    run = api.cli("content", f.id, "-o", out, want=8)
    assert run.stdout == b""
    assert run.stderr.startswith(f"mockfiles: cannot write {out}: ") and run.stderr.count("\n") == 1, run
    assert list(tmp_path.iterdir()) == [], "nothing created, not even the directory"


def test_content_into_an_existing_directory_is_a_local_error_and_keeps_it(api: Api, tmp_path: Path) -> None:
    """-o names a file to create or replace, never a directory: replacing one would remove it and all in it."""
    f = api.upload("x.txt", b"x", purpose="vision")
    out = tmp_path / "downloads"
    (out / "sub").mkdir(parents=True)
    (out / "keep.txt").write_bytes(b"keep me")
    (out / "sub" / "deep.txt").write_bytes(b"deep")
    for target in (out, Path(f"{out}/")):
        run = api.cli("content", f.id, "-o", target, want=8)
        assert run.stdout == b""
        assert run.stderr == f"mockfiles: cannot write {target}: is a directory\n", run
        assert out.is_dir()
        assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == ["keep.txt", "sub", "sub/deep.txt"]
        assert (out / "keep.txt").read_bytes() == b"keep me" and (out / "sub" / "deep.txt").read_bytes() == b"deep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["downloads"], "no temporary file left beside it"
    assert api.requests("GET") == [], "refused before anything was asked of the server"
    assert [e for e in api.admin.requests() if e["path"].endswith("/content")] == [], "nothing downloaded"


def test_content_to_an_empty_path_is_a_usage_error_and_removes_nothing(api: Api, tmp_path: Path) -> None:
    f = api.upload("x.txt", b"x", purpose="vision")
    work = tmp_path / "work"
    work.mkdir()
    run = api.cli("content", f.id, "-o", "", want=64, cwd=work)
    assert run.stdout == b""
    assert run.stderr == "mockfiles: -o needs a path (or - for standard output)\n", run
    assert work.is_dir() and list(work.iterdir()) == [], "the working directory is still there, and empty"
    assert [e for e in api.admin.requests() if e["path"].endswith("/content")] == [], "nothing downloaded"


def test_content_to_dash_is_stdout(api: Api, tmp_path: Path) -> None:
    f = api.upload("d.bin", b"\x00dash\r\n", purpose="vision")
    run = api.cli("content", f.id, "-o", "-", cwd=tmp_path)
    assert (run.stdout, run.stderr) == (b"\x00dash\r\n", "")
    assert list(tmp_path.iterdir()) == [], "no file named '-'"


@pytest.mark.parametrize("output", [None, "new", "existing"])
def test_content_of_a_missing_file_is_not_found(api: Api, tmp_path: Path, output: str | None) -> None:
    out = tmp_path / "out.bin"
    if output == "existing":
        out.write_bytes(b"older download")
    run = api.cli("content", "file-doesnotexist", *(["-o", out] if output else []), want=3)
    assert run.stdout == b""
    assert run.stderr == not_found_line("file-doesnotexist")
    if output == "existing":
        assert out.read_bytes() == b"older download", "a failed download leaves an existing file alone"
    else:
        assert not out.exists(), "-o must not be created for a failed download"


@pytest.mark.parametrize("output", [False, True], ids=["stdout", "file"])
def test_a_download_that_breaks_off_cannot_reach_the_api(short_body_url: str, tmp_path: Path, output: bool) -> None:
    """The answer promises 100000 bytes and the connection closes after 5000: exit 7, and no -o file."""
    out = tmp_path / "out.bin"
    out.write_bytes(b"older download")
    run = Cli(short_body_url)("content", "file-abc", *(["-o", out] if output else []), want=7)
    assert run.stderr.startswith("mockfiles: cannot reach the API: the download broke off: ") and run.stderr.count("\n") == 1, run
    if output:
        assert out.read_bytes() == b"older download", "a broken download must not replace -o"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


# ---------------------------------------------------------------- big files and progress


def test_big_file_round_trip_with_progress(api: Api, tmp_path: Path) -> None:
    source, copy = tmp_path / "big.bin", tmp_path / "copy.bin"
    source.write_bytes(os.urandom(20_000_000))
    up = api.cli("create", source, "--purpose", "vision", "--json", "--progress")  # vision: downloadable by default
    assert_progress(up.stderr, "uploading", "19.1 MiB")
    created = up.json()
    assert created["bytes"] == 20_000_000 and api.sdk.files.retrieve(created["id"]).bytes == 20_000_000

    down = api.cli("content", created["id"], "-o", copy, "--progress")
    assert down.stdout == b""
    assert_progress(down.stderr, "downloading", "19.1 MiB")
    assert sha256(copy) == sha256(source)


@pytest.mark.parametrize("flags", [[], ["--no-progress"]], ids=["default", "no-progress"])
def test_no_progress_bar_when_stderr_is_not_a_terminal(api: Api, blob: bytes, tmp_path: Path, flags: list[str]) -> None:
    path = tmp_path / "blob.bin"
    path.write_bytes(blob)
    created = api.cli("create", path, "--purpose", "vision", "--json", *flags)  # vision: downloadable by default
    assert created.stderr == ""
    down = api.cli("content", created.json()["id"], "-o", tmp_path / "copy.bin", *flags)
    assert (down.stdout, down.stderr) == (b"", "")


@pytest.mark.parametrize(
    ("size", "flags", "bar"),
    [(3_000_000, [], True), (3_000_000, ["--no-progress"], False), (100_000, [], False), (100_000, ["--progress"], True)],
    ids=["big", "big-no-progress", "small", "small-progress"],
)
def test_progress_bar_on_a_terminal(api: Api, tmp_path: Path, size: int, flags: list[str], bar: bool) -> None:
    """On a terminal the bar is on by default for 1 MiB or more."""
    f = api.upload("t.bin", os.urandom(size), purpose="vision")
    code, shown = api.cli.with_tty_stderr("content", f.id, "-o", tmp_path / "t.bin", *flags)
    assert code == 0, shown
    if bar:
        assert shown.startswith("\rdownloading ") and "downloading 100% [" in shown, repr(shown)
    else:
        assert shown == ""
    assert (tmp_path / "t.bin").stat().st_size == size


# ---------------------------------------------------------------- errors and exit codes


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_create_from_an_unreadable_path_is_a_local_error(api: Api, tmp_path: Path, kind: str) -> None:
    path = tmp_path / "nope.txt"
    if kind == "directory":
        path.mkdir()
    run = api.cli("create", path, "--purpose", "user_data", want=8)
    assert run.stdout == b""
    assert run.stderr.startswith("mockfiles: ") and str(path) in run.stderr and run.stderr.count("\n") == 1, run
    assert api.requests("POST") == [], "nothing was sent"


def test_create_with_a_bad_purpose_shows_the_servers_message(api: Api, tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_bytes(b"x")
    with pytest.raises(openai.BadRequestError) as e:
        api.sdk.files.create(file=("x.txt", b"x"), purpose="bogus")  # type: ignore[arg-type]
    run = api.cli("create", path, "--purpose", "bogus", want=2)
    assert run.stdout == b""
    assert run.stderr == error_line(400, error_envelope(e.value))
    assert "bogus" in run.stderr and "(type invalid_request_error, param purpose)" in run.stderr
    assert api.listed() == []


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["list", "--limit", "0"],
            "mockfiles: HTTP 400: Invalid 'limit': integer below minimum value. Expected a value >= 1, but got 0 instead."
            " (type invalid_request_error, param limit, code integer_below_min_value)\n",
        ),
        (
            ["list", "--order", "sideways"],
            "mockfiles: HTTP 400: Invalid value: 'sideways'. Supported values are: 'asc' and 'desc'."
            " (type invalid_request_error, param order, code invalid_value)\n",
        ),
    ],
    ids=["limit", "order"],
)
def test_bad_list_options_are_bad_requests(api: Api, args: list[str], line: str) -> None:
    run = api.cli(*args, want=2)
    assert run.stdout == b""
    assert run.stderr == line, run


def test_list_after_an_unknown_file_is_not_found(api: Api) -> None:
    """The real service answers an unknown `after` with a 404 naming `after`: exit 3."""
    run = api.cli("list", "--after", "file-doesnotexist", want=3)
    assert run.stdout == b""
    assert run.stderr == "mockfiles: HTTP 404: No such File object: file-doesnotexist (type invalid_request_error, param after)\n", run


def test_a_closed_port_cannot_connect(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}/v1"
    run = Cli(dead)("list", want=7, timeout=CONNECT_TIMEOUT)
    assert run.stdout == b""
    assert run.stderr.startswith(f"mockfiles: cannot reach the API: GET {dead}/files: ") and run.stderr.count("\n") == 1, run


def test_a_base_url_password_is_never_printed() -> None:
    refused = Cli("ftp://me:SECRETPW@127.0.0.1/v1")("list", want=64)
    assert refused.stderr.startswith("Error: The base URL 'ftp://me:***@127.0.0.1/v1' is not an http(s) URL.\n"), refused
    dead = f"http://me:SECRETPW@127.0.0.1:{free_port()}/v1"
    unreachable = Cli(dead)("list", want=7, timeout=CONNECT_TIMEOUT)
    assert unreachable.stderr.startswith("mockfiles: cannot reach the API: GET http://me:***@127.0.0.1:"), unreachable
    assert "SECRETPW" not in unreachable.stderr and unreachable.stderr.count("\n") == 1, unreachable


@pytest.mark.parametrize(
    "url",
    ["postgres:/user:SECRETPW@127.0.0.1:1/db", "postgres:user:SECRETPW@127.0.0.1:1/db", "postgres://user:SECRETPW@127.0.0.1:1/db"],
    ids=["one-slash", "no-slash", "well-formed"],
)
@pytest.mark.parametrize("via", ["flag", "environment"])
def test_serve_never_prints_a_database_password(tmp_path: Path, url: str, via: str) -> None:
    """A malformed URL once came back whole in the error, password included."""
    args = [str(binary_path()), "serve", "--port", "0", "--data-dir", str(tmp_path / "data")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCKFILES_")}
    if via == "flag":
        args += ["--database-url", url]
    else:
        env["MOCKFILES_DATABASE_URL"] = url
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 78, done
    assert "SECRETPW" not in done.stderr + done.stdout, done
    last = done.stderr.splitlines()[-1]
    assert last.startswith("mockfiles: ") and "databaseUrl" in last and "user:***@127.0.0.1:1/db" in last, done
    if "//" not in url:
        assert done.stderr.count("\n") == 1, done


@pytest.mark.parametrize(
    ("key", "args", "first_line"),
    [
        (None, [], NO_KEY),
        ("", [], NO_KEY),
        (None, ["--api-key", ""], NO_KEY),
        (API_KEY, ["--base-url", "ftp://127.0.0.1/v1"], "Error: The base URL 'ftp://127.0.0.1/v1' is not an http(s) URL.\n"),
    ],
    ids=["unset", "empty", "empty-flag", "not-http"],
)
def test_usage_errors_send_nothing(api: Api, key: str | None, args: list[str], first_line: str) -> None:
    run = Cli(api.server.base_url, api_key=key)("list", *args, want=64)
    assert run.stdout == b""
    assert run.stderr.startswith(first_line), run
    assert api.admin.requests() == [], "a usage error sends no request"


@pytest.fixture(scope="module")
def guarded(start_server: Callable[..., Server], tmp_path_factory: pytest.TempPathFactory) -> Server:
    """A server that knows only sk-good and refuses every other key."""
    config = tmp_path_factory.mktemp("cli-config") / "keys.json"
    config.write_text(json.dumps({"apiKeys": ["sk-good"], "rejectUnknownKeys": True}))
    return start_server("--config", str(config))


def test_a_refused_key_is_an_auth_error(guarded: Server, make_client: Callable[..., openai.OpenAI]) -> None:
    with pytest.raises(openai.AuthenticationError) as e:
        make_client(guarded.base_url, api_key="sk-unknown").files.list()
    run = Cli(guarded.base_url, api_key="sk-unknown")("list", want=4)
    assert run.stdout == b""
    assert run.stderr == error_line(401, error_envelope(e.value))
    assert "code invalid_api_key" in run.stderr


@pytest.mark.parametrize(
    ("env_key", "flag_key", "code"),
    [("sk-unknown", None, 4), ("sk-unknown", "sk-good", 0), ("sk-good", None, 0), ("sk-good", "sk-unknown", 4), (None, "sk-good", 0)],
)
def test_api_key_flag_overrides_the_environment(guarded: Server, env_key: str | None, flag_key: str | None, code: int) -> None:
    run = Cli(guarded.base_url, api_key=env_key)("list", *(["--api-key", flag_key] if flag_key else []), want=code)
    if code == 0:
        assert run.out == table([])


@pytest.mark.parametrize(
    ("status", "code"),
    [(400, 2), (401, 4), (403, 4), (404, 3), (409, 2), (413, 2), (415, 2), (418, 2), (422, 2), (429, 5), (500, 6), (502, 6), (503, 6)],
)
def test_each_status_has_its_exit_code(api: Api, status: int, code: int) -> None:
    rule = api.admin.add_fault(method="GET", path="/v1/files", status=status, times=1, error={"message": "injected", "type": "fault_test", "code": "c_fault"})
    run = api.cli("list", want=code)
    assert run.stdout == b""
    assert run.stderr == f"mockfiles: HTTP {status}: injected (type fault_test, code c_fault)\n"
    assert api.admin.fault(rule["id"])["fired"] == 1
    assert api.cli("list").out == table([]), "the fault fired once; the next call works"


@pytest.mark.parametrize(("status", "code", "kind"), [(429, 5, "invalid_request_error"), (503, 6, "server_error")])
def test_a_refused_upload_creates_nothing_and_is_not_retried(api: Api, tmp_path: Path, status: int, code: int, kind: str) -> None:
    path = tmp_path / "x.txt"
    path.write_bytes(b"x")
    api.admin.add_fault(status=status, times=1, path="/v1/files")
    run = api.cli("create", path, "--purpose", "user_data", want=code)
    assert run.stdout == b""
    # An answer sent before the upload finished can lose its body when the connection closes
    # (about 2% of runs); the CLI then says so instead of showing a bare status.
    assert run.stderr in (
        f"mockfiles: HTTP {status}: Injected fault (mockfiles). (type {kind})\n",
        f"mockfiles: HTTP {status} (the server closed the connection before sending its error message)\n",
    )
    assert [e["status"] for e in api.requests("POST")] == [status]
    assert api.listed() == []


def test_a_dropped_connection_cannot_connect(api: Api, tmp_path: Path) -> None:
    f = api.upload("x.txt", b"x")
    api.admin.add_fault(path="/v1/files/*/content", drop_connection=True, times=1)
    out = tmp_path / "x.txt"
    run = api.cli("content", f.id, "-o", out, want=7)
    assert run.stderr.startswith(f"mockfiles: cannot reach the API: GET {api.server.base_url}/files/{f.id}/content: "), run
    assert not out.exists()


# ---------------------------------------------------------------- filenames


@pytest.mark.parametrize(
    ("local", "stored"),
    [
        ('réport "q1".jsonl', "réport %22q1%22.jsonl"),
        ("with  spaces .txt", "with  spaces .txt"),
        ("日本語 ファイル.txt", "日本語 ファイル.txt"),
        ("it's;a=b.txt", "it's;a=b.txt"),
        ("line\nbreak.txt", "line%0Abreak.txt"),
        ("cr\rlf\n.txt", "cr%0Dlf%0A.txt"),
        ("tab\there.txt", "tab\there.txt"),
        ("back\\slash.txt", "back\\slash.txt"),
    ],
    ids=["quotes-utf8", "spaces", "cjk", "punctuation", "lf", "cr-lf", "tab", "backslash"],
)
def test_filenames_keep_their_characters(api: Api, tmp_path: Path, local: str, stored: str) -> None:
    """Quotes, CR and LF would end the multipart header: they go as %22, %0D, %0A (as the SDK sends them)."""
    path = tmp_path / local
    path.write_bytes(b'{"a": 1}\n')
    created = api.cli("create", path, "--purpose", "user_data", "--json").json()
    assert created["filename"] == stored
    assert api.sdk.files.retrieve(created["id"]).filename == stored
    api.upload("neighbour.txt", b"n")
    listed = api.cli("list").out
    assert listed == table(api.listed())
    assert len(listed.splitlines()) == 3, "one line per file, whatever its name"


def test_a_table_row_stays_one_line_for_any_stored_name(api: Api) -> None:
    """The Uploads API stores a name as given (JSON), line breaks and tabs included."""
    name = "two\nlines\r\nand\ttab.txt"
    upload = api.sdk.uploads.create(filename=name, purpose="user_data", bytes=3, mime_type="text/plain")
    part = api.sdk.uploads.parts.create(upload_id=upload.id, data=b"abc")
    f = api.sdk.uploads.complete(upload_id=upload.id, part_ids=[part.id]).file
    assert f is not None and f.filename == name
    for args in (("list",), ("retrieve", f.id)):
        out = api.cli(*args).out
        assert out == table([f])
        assert out.splitlines()[1].endswith("  two lines and tab.txt")
    assert api.cli("retrieve", f.id, "--json").json()["filename"] == name


# ---------------------------------------------------------------- --base-url


@pytest.mark.parametrize("suffix", ["", "/"], ids=["plain", "trailing-slash"])
def test_base_url_flag_overrides_the_environment(api: Api, suffix: str) -> None:
    """OPENAI_BASE_URL points at a closed port (see test_a_closed_port_cannot_connect); the flag wins."""
    f = api.upload("here.txt", b"here")
    dead = Cli(f"http://127.0.0.1:{free_port()}/v1")
    run = dead("list", "--base-url", api.server.base_url + suffix, timeout=CONNECT_TIMEOUT)
    assert run.out == table([f])
    assert run.stderr == ""
