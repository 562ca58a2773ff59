#!/usr/bin/env python3
"""Hostile multipart bodies: the server must answer each with a clean 4xx envelope (or accept it correctly) and
stay up.

Preamble and epilogue (text before the first boundary, after the closing one) are allowed by RFC 2046 and
ignored; a file or Part over the limit is the real service's 400 `File is too large.` (the server runs with
--max-file-bytes and --max-part-bytes of 4 MiB here). Files accepted by POST /v1/files are purpose=vision,
which downloads by default, so their bytes are checked.

Every case is one raw request to POST /v1/files (and, when the server has the Uploads API, to
POST /v1/uploads/{id}/parts). After each case the server must still answer GET /health; if it died, the case
fails and the server is started again on the same data dir for the next one. At the end: no temp file, no
orphan blob, no row for a refused upload. Ends with `N passed, M failed`; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import AUTH, check_clean_stop, db_file_ids, log, wait_disk_clean, work_server  # noqa: E402
from mockfiles_kit import Server, Tally, health_status  # noqa: E402

B = "hostileBoundary42"
OK, BAD = 200, 400
LIMIT = 4 * 1024 * 1024  # --max-file-bytes and --max-part-bytes of the server under test
TOO_LARGE = "File is too large."


def part(name: str, value: bytes, filename: str | None = None, extra: bytes = b"") -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
    return f"--{B}\r\nContent-Disposition: {disposition}\r\n".encode() + extra + b"\r\n" + value + b"\r\n"


CLOSE = f"--{B}--\r\n".encode()
UTF8_NAME = "h\u00e9llo \u6587\u4ef6.bin"
PURPOSE = part("purpose", b"vision")  # vision: downloadable by default, so accepted bytes can be checked


@dataclass
class Case:
    name: str
    body: bytes
    allowed: tuple[int, ...]
    content_type: str = f"multipart/form-data; boundary={B}"
    message: str | None = None  # the exact error message, when it is known
    content: bytes = b"hello"  # the file's bytes, when it is accepted


def file_cases(field: str, with_purpose: bool) -> list[Case]:
    pre = PURPOSE if with_purpose else b""
    good_file = part(field, b"hello", "a.bin", b"Content-Type: application/octet-stream\r\n")
    return [
        Case("control: a well-formed body", pre + good_file + CLOSE, (OK,)),
        Case("non-ASCII byte 0xBC in a part header name", pre + f"--{B}\r\n".encode() + b"\xbcname: x\r\n\r\nabc\r\n" + CLOSE, (BAD,)),
        Case("UTF-8 'é' in a part header name", pre + f"--{B}\r\n".encode() + "Contént-Disposition: form-data; name=\"x\"\r\n\r\nabc\r\n".encode() + CLOSE, (BAD,)),
        Case("byte 0xFF as the first header byte", pre + f"--{B}\r\n".encode() + b"\xff\r\n\r\nabc\r\n" + CLOSE, (BAD,)),
        Case("DEL (0x7F) in a header name", pre + f"--{B}\r\n".encode() + b"Content-Dis\x7fposition: x\r\n\r\nabc\r\n" + CLOSE, (BAD,)),
        Case("NUL in a header name", pre + f"--{B}\r\n".encode() + b"Content\x00Disposition: x\r\n\r\nabc\r\n" + CLOSE, (BAD,)),
        Case("UTF-8 filename (RFC 7578 allows it)", pre + f"--{B}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{UTF8_NAME}\"\r\n\r\nhello\r\n".encode() + CLOSE, (OK, BAD)),
        Case("path-traversal filename is metadata only", pre + part(field, b"hello", "../../../../tmp/escape.bin") + CLOSE, (OK, BAD)),
        Case("part with no headers", pre + f"--{B}\r\n\r\nabc\r\n".encode() + CLOSE, (BAD,)),
        Case("header line without a colon", pre + f"--{B}\r\nContent-Disposition form-data\r\n\r\nabc\r\n".encode() + CLOSE, (BAD,)),
        Case("no closing boundary (truncated)", pre + part(field, b"hello", "a.bin"), (BAD,)),
        Case("empty body", b"", (BAD,)),
        Case("only the closing boundary", CLOSE, (BAD,)),
        Case("wrong boundary", pre.replace(B.encode(), b"other") + part(field, b"x", "a.bin").replace(B.encode(), b"other") + CLOSE.replace(B.encode(), b"other"), (BAD,)),
        Case("no boundary parameter", pre + good_file + CLOSE, (BAD,), "multipart/form-data"),
        Case("not multipart at all", b'{"purpose":"user_data"}', (BAD,), "application/json"),
        Case("LF-only line endings", (pre + good_file + CLOSE).replace(b"\r\n", b"\n"), (BAD,)),
        Case("a 20 KiB header value", pre + part(field, b"x", "a.bin", b"X-Big: " + b"a" * 20_000 + b"\r\n") + CLOSE, (BAD,)),
        Case("100 KiB of header lines", pre + part(field, b"x", "a.bin", b"".join(b"X-H%d: v\r\n" % i for i in range(10_000))) + CLOSE, (BAD,)),
        Case("a boundary line with 1 MiB of garbage before the first part", b"x" * (1 << 20) + b"\r\n" + pre + good_file + CLOSE, (OK, BAD)),
        Case("preamble text before the first boundary", b"This is a preamble.\r\n" + pre + good_file + CLOSE, (OK,)),
        Case("preamble of a bare CRLF", b"\r\n" + pre + good_file + CLOSE, (OK,)),
        Case("epilogue: CRLF after the closing delimiter", pre + good_file + CLOSE + b"\r\n", (OK,)),
        Case("epilogue: text after the closing delimiter", pre + good_file + f"--{B}--\r\nsome trailing text".encode(), (OK,)),
        Case("epilogue: no CRLF after the closing delimiter", pre + good_file + f"--{B}--".encode(), (OK,)),
        Case("epilogue that looks like another part", pre + good_file + CLOSE + part(field, b"ignored", "b.bin") + CLOSE, (OK,)),
        Case("preamble and epilogue", b"preamble\r\n" + pre + good_file + CLOSE + b"epilogue\r\n", (OK,)),
        Case("a file one byte over the limit", pre + part(field, b"y" * (LIMIT + 1), "big.bin") + CLOSE, (BAD,), message=TOO_LARGE),
        Case("a file at the limit", pre + part(field, b"z" * LIMIT, "limit.bin") + CLOSE, (OK,), content=b"z" * LIMIT),
        Case("2000 parts of an unknown field", pre + b"".join(part(f"f{i}", b"v") for i in range(2000)) + good_file + CLOSE, (BAD,)),
        Case("the file part twice", pre + good_file + good_file + CLOSE, (BAD,)),
        Case("binary garbage after the boundary", pre + f"--{B}\r\n".encode() + os.urandom(4096) + CLOSE, (BAD,)),
    ]


def crashed_since(server: Server, offset: int) -> bool:
    with open(server.stderr_path, "rb") as f:
        f.seek(offset)
        new = f.read().decode(errors="replace")
    return any(m in new for m in CRASH_MARKERS)


def send(server: Server, path: str, case: Case, timeout: float, log_offset: int) -> tuple[int | None, bytes]:
    """One raw HTTP/1.1 request; returns (status or None on a dropped connection or a crash, body)."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nAuthorization: Bearer sk-test\r\n"
        f"Content-Type: {case.content_type}\r\nContent-Length: {len(case.body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
            sock.sendall(head + case.body)
            sock.settimeout(0.25)
            data = b""
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    chunk = sock.recv(65536)
                except TimeoutError:
                    if crashed_since(server, log_offset):
                        return None, b""
                    continue
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None, b""
    if not data.startswith(b"HTTP/1.1 "):
        return None, data
    status = int(data[9:12])
    return status, data.split(b"\r\n\r\n", 1)[-1]


CRASH_MARKERS = ("Program crashed", "*** Signal", "Fatal error")


def stderr_size(server: Server) -> int:
    try:
        return server.stderr_path.stat().st_size
    except FileNotFoundError:
        return 0


def survived(server: Server, log_offset: int) -> tuple[bool, str]:
    """Alive, answering /health, and nothing in its log since `log_offset` says it crashed (a Swift trap
    prints its backtrace for ~30 s before the process exits, so a running process is not enough)."""
    time.sleep(0.3)
    with open(server.stderr_path, "rb") as f:
        f.seek(log_offset)
        new = f.read().decode(errors="replace")
    crash = next((m for m in CRASH_MARKERS if m in new), None)
    if crash or server.process is None or server.process.poll() is not None:
        return False, new[-1500:]
    return health_status(server.port, timeout=5) == 200, new[-1500:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for each answer")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mockfiles-hostile-"))
    server = work_server(work, ["--max-file-bytes", str(LIMIT), "--max-part-bytes", str(LIMIT)])
    tally = Tally()
    server.spawn()
    client = httpx2.Client(headers=AUTH, timeout=30)
    targets = [("/v1/files", file_cases("file", True))]
    # Room for every part the cases may add: an Upload refuses parts past its declared bytes.
    upload = {"filename": "h.bin", "purpose": "vision", "bytes": 1 << 30, "mime_type": "image/png"}
    r = client.post(server.root_url + "/v1/uploads", json=upload)
    if r.status_code == 200:
        upload_id = r.json()["id"]
        targets.append((f"/v1/uploads/{upload_id}/parts", file_cases("data", False)))
    else:
        log(f"POST /v1/uploads answered {r.status_code}: parts cases skipped")
    accepted: set[str] = set()
    crashes = 0
    for path, cases in targets:
        for case in cases:
            began = time.monotonic()
            offset = stderr_size(server)
            status, body = send(server, path, case, args.timeout, offset)
            took = time.monotonic() - began
            up, new_log = survived(server, offset)
            label = f"POST {'/v1/uploads/{id}/parts' if 'upload_' in path else path}: {case.name}"
            if not up:
                crashes += 1
                where = next((line.strip() for line in new_log.splitlines() if any(m in line for m in CRASH_MARKERS)), "")
                tally.check(False, "server survives the request", f"{label}: answer {status} after {took:.1f}s; {where}")
                if server.process is not None and server.process.poll() is None:
                    server.kill()  # do not wait for the backtrace
                server.spawn(attempts=3)
                print(f"  CRASH  {'-':>3}  {took * 1000:6.0f} ms  {label}")
                continue
            tally.check(True, "server survives the request")
            ok = status in case.allowed
            if ok and status != OK:
                try:
                    import json

                    err = json.loads(body)["error"]
                    ok = isinstance(err.get("message"), str) and "type" in err and "param" in err and "code" in err
                    if case.message is not None:
                        ok = ok and (err["message"], err["param"], err["code"]) == (case.message, None, None)
                except (ValueError, KeyError, TypeError):
                    ok = False
            if ok and status == OK and path == "/v1/files":
                import json

                created = json.loads(body)
                accepted.add(created["id"])
                got = client.get(f"{server.root_url}/v1/files/{created['id']}/content")
                ok = got.status_code == 200 and got.content == case.content and created["bytes"] == len(case.content)
                tally.check(ok, "an accepted file keeps exactly its bytes", f"{label}: {got.status_code} {got.content[:80]!r}")
                if "UTF-8 filename" in case.name:
                    named = created["filename"] == UTF8_NAME
                    ok = ok and named
                    tally.check(named, "a UTF-8 filename comes back unchanged", f"{created['filename']!r} vs {UTF8_NAME!r}")
            tally.check(ok, "answer is one of the allowed ones (errors as the JSON envelope)", f"{label}: got {status} {body[:200]!r}, allowed {case.allowed}")
            print(f"  {'ok   ' if ok else 'FAIL '}  {status}  {took * 1000:6.0f} ms  {label}")
    state, _ = wait_disk_clean(server.data_dir, 30.0)
    tally.check(not state.temps, "no temp file left", str(state.temps[:5]))
    tally.check(not state.orphans, "no orphan blob", str(state.orphans[:5]))
    rows = db_file_ids(server.data_dir)
    tally.check(rows == accepted, "rows are exactly the accepted uploads", f"rows {sorted(rows)[:5]}, accepted {sorted(accepted)[:5]}")
    escaped = Path("/tmp/escape.bin").exists() and Path("/tmp/escape.bin").stat().st_mtime > time.time() - 600
    tally.check(not escaped, "a path-traversal filename writes nothing outside the data dir", "/tmp/escape.bin exists")
    client.close()
    check_clean_stop(tally, server)
    print(f"\n  server crashes: {crashes}")
    tally.finish(work, keep=args.keep)


if __name__ == "__main__":
    main()
