"""A large upload (1 GiB in a full run) as the SDKs send it, multipart POST /v1/files, against `dd
conv=fsync` of the same random bytes to the same disk: durable at the end either way. The server's peak
RSS growth during each upload is a row of its own: uploads stream to disk in bounded memory. Row "4 sha"
prices the SHA-256 every upload is hashed with as it streams in: the same uploads, interleaved run by
run, to a second server started with `fileDigests: false`.

The client sends the file with sendfile(2) so the figure is the server's; a discarding sink measures the
client alone. The first upload is kept, checked byte for byte, and is what the download row reads.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import statistics
import threading
from pathlib import Path

from client import connection, request, sendfile_multipart
from procstats import RSSMonitor
from report import row, size_label
from session import BenchError, BenchServer, Session, log, run_command
from settings import AUTH, MiB

ROW = "4"


def measure(session: Session, srv: BenchServer, store: Path, src: Path, sha: str) -> str:
    """The row and its RSS row for uploads of `src` (made by `big_file`, whose SHA-256 is `sha`); returns the
    id of the uploaded file it keeps."""
    size = session.size["big_bytes"]
    label = size_label(size)
    runs = session.size["transfer_runs"]
    log(f"row {ROW}: multipart upload of {label} vs dd conv=fsync, {runs} runs each")
    sink = DiscardSink()
    try:
        code, seconds, _ = sendfile_multipart(f"http://127.0.0.1:{sink.port}", src, size)
        client_ceiling = size / seconds / 1e6 if code == 200 and sink.received > size else None
    finally:
        sink.close()
    log(f"  client ceiling (the same client into a discarding sink): {client_ceiling or 0:.0f} MB/s")
    plain = unhashed_server(session, store, srv)
    dd_runs, up_runs, up_rss, ids, plain_runs, cpu_with, cpu_without = [], [], [], [], [], [], []
    try:
        for i in range(runs):
            dd_runs.append(dd(src, store, size))
            # Each pair in turn goes first, and each upload starts on a flushed disk: otherwise
            # the second of a pair pays for the first one's writeback.
            if i % 2:
                plain_speed, plain_cpu = unhashed_upload(plain, src, size)
            os.sync()
            rss = RSSMonitor(srv.pid)
            with rss:
                speed, obj = multipart_upload(srv.base, src, size)
            up_runs.append(speed)
            up_rss.append(rss.summary())
            ids.append(obj["id"])
            if not i % 2:
                plain_speed, plain_cpu = unhashed_upload(plain, src, size)
            plain_runs.append(plain_speed)
            # Server CPU seconds per GiB: the hash's cost where the disk, not the CPU, sets the pace.
            cpu_with.append(round((rss.cpu_percent or 0) / 100 * size / speed / 1e6 / (size / 2**30), 2))
            cpu_without.append(plain_cpu)
            log(f"  run {i + 1}: upload {speed:.0f} MB/s (RSS +{rss.growth_mib:.1f} MiB, server CPU {rss.cpu_percent} %), "
                f"without SHA-256 {plain_speed:.0f} MB/s; server CPU s/GiB {cpu_with[-1]} vs {plain_cpu}; dd {dd_runs[-1]:.0f} MB/s")
    finally:
        plain.stop()
    for extra in ids[1:]:
        status, body, _ = request(srv.base, "DELETE", f"/v1/files/{extra}")
        if status != 200:
            raise BenchError(f"DELETE /v1/files/{extra}: expected 200, got {status}: {body[:200]!r}")
    file_id = ids[0]
    verify_download(srv.base, file_id, size, sha)
    mine, ref = statistics.median(up_runs), statistics.median(dd_runs)
    session.rows.append(row(
        ROW, f"upload {label} multipart (POST /v1/files, sendfile client)", "MB/s", round(mine, 1), round(ref, 1),
        "dd of the same file, bs=1M conv=fsync; same disk", ">=", 0.5, "≥ 0.5 × dd",
        details=dict(upload_runs_mb_s=[round(x, 1) for x in up_runs], dd_runs_mb_s=[round(x, 1) for x in dd_runs],
                     rss=up_rss, bytes=size,
                     diagnostic_client_ceiling_mb_s=round(client_ceiling, 1) if client_ceiling else None)))
    session.rows.append(row(
        f"{ROW} sha", f"upload {label} with SHA-256 of the bytes as they stream in", "MB/s", round(mine, 1),
        round(statistics.median(plain_runs), 1), "the same uploads to a server with fileDigests: false, interleaved",
        ">=", 0.9, "≥ 0.90 × without (SHA-256 costs ≤ 10 %)",
        details=dict(with_runs_mb_s=[round(x, 1) for x in up_runs], without_runs_mb_s=[round(x, 1) for x in plain_runs],
                     server_cpu_seconds_per_gib_with=cpu_with, server_cpu_seconds_per_gib_without=cpu_without)))
    growth = max(r["rss_growth_mib"] for r in up_rss)
    session.rows.append(row(f"{ROW} rss", "upload: server peak RSS growth (max of runs)", "MiB", growth, None, None,
                            "<=", 64, "≤ 64 MiB", against="value", details=dict(runs=up_rss)))
    return file_id


def unhashed_server(session: Session, store: Path, like: BenchServer) -> BenchServer:
    """A server like `like` on its own data dir beside `store`, with the upload hash off."""
    config = session.work / "no-digests.json"
    config.write_text(json.dumps({"fileDigests": False}))
    data = store.parent / f"{store.name}-no-digests"
    shutil.rmtree(data, ignore_errors=True)
    server = session.server(data, "uploads-no-digests", [*like.extra, "--config", str(config)])
    server.start()
    return server


def unhashed_upload(plain: BenchServer, src: Path, size: int) -> tuple[float, float]:
    """One upload to the server without the hash, on a flushed disk (the file is deleted after):
    MB/s and the server's CPU seconds per GiB."""
    os.sync()
    monitor = RSSMonitor(plain.pid)
    with monitor:
        speed, obj = multipart_upload(plain.base, src, size)
    request(plain.base, "DELETE", f"/v1/files/{obj['id']}")
    return speed, round((monitor.cpu_percent or 0) / 100 * size / speed / 1e6 / (size / 2**30), 2)


def big_file(session: Session) -> tuple[Path, str]:
    """The random file to upload and its SHA-256, kept in the work dir for the next run."""
    size = session.size["big_bytes"]
    path = session.work / f"upload-{size}.bin"
    sha_path = path.with_suffix(".sha256")
    if path.exists() and path.stat().st_size == size and sha_path.exists():
        return path, sha_path.read_text().strip()
    log(f"writing {size // MiB} MiB of random bytes to {path}")
    h = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left:
            chunk = os.urandom(min(64 * MiB, left))
            h.update(chunk)
            f.write(chunk)
            left -= len(chunk)
    sha_path.write_text(h.hexdigest())
    return path, h.hexdigest()


def dd(source: Path, data_dir: Path, size: int) -> float:
    """The same bytes the upload sends (the issue's "same bytes": random data, which a disk
    cannot compress or skip the way it can zeros), from the page cache to the same disk."""
    target = data_dir / "dd.bin"
    r = run_command(["dd", f"if={source}", f"of={target}", "bs=1M", f"count={size // MiB}", "conv=fsync"])
    target.unlink()
    m = re.search(r"(\d+) bytes .* copied, ([\d.]+) s", r.stderr)
    if not m:
        raise BenchError(f"cannot parse dd output: {r.stderr}")
    return int(m.group(1)) / float(m.group(2)) / 1e6


def multipart_upload(base: str, path: Path, size: int) -> tuple[float, dict]:
    """POST /v1/files with the file sent by sendfile(2): a client that costs next to nothing,
    so the row measures the server (curl -F reads and sends 16 KiB at a time and tops out
    near 200 MB/s here). The body is the multipart form the SDKs send."""
    code, seconds, body = sendfile_multipart(base, path, size)
    if code != 200:
        raise BenchError(f"POST /v1/files ({size} B multipart): expected 200, got {code}: {body[:300]!r}")
    obj = json.loads(body)
    if obj.get("bytes") != size:
        raise BenchError(f"POST /v1/files: answered bytes={obj.get('bytes')}, sent {size}")
    return size / seconds / 1e6, obj


def verify_download(base: str, file_id: str, size: int, sha: str) -> None:
    conn = connection(base, timeout=300)
    try:
        conn.request("GET", f"/v1/files/{file_id}/content", headers={"Authorization": AUTH})
        resp = conn.getresponse()
        if resp.status != 200:
            raise BenchError(f"GET /v1/files/{file_id}/content: expected 200, got {resp.status}")
        h, n = hashlib.sha256(), 0
        while chunk := resp.read(4 * MiB):
            h.update(chunk)
            n += len(chunk)
        if n != size or h.hexdigest() != sha:
            raise BenchError(f"GET /v1/files/{file_id}/content: {n} B, sha256 {'differs' if h.hexdigest() != sha else 'ok'} (expected {size} B)")
    finally:
        conn.close()


class DiscardSink:
    """A loopback HTTP sink that reads a request body to the end and answers 200: how fast the
    client can send, so a slow upload row can be told apart from a slow client."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.received = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                head, _, rest = data.partition(b"\r\n\r\n")
                m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                left = (int(m.group(1)) if m else 0) - len(rest)
                buf = bytearray(MiB)
                while left > 0:
                    n = conn.recv_into(buf, min(len(buf), left))
                    if not n:
                        break
                    left -= n
                self.received = (int(m.group(1)) if m else 0) - max(left, 0)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")

    def close(self) -> None:
        self.sock.close()
