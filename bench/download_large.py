"""A large download (1 GiB in a full run) through GET /v1/files/{id}/content, against nginx serving the
same blob with sendfile. The server's peak RSS growth during each download is a row of its own:
downloads stream from disk in bounded memory."""

from __future__ import annotations

import statistics
from pathlib import Path

from procstats import RSSMonitor
from report import row, size_label
from session import BenchError, BenchServer, Session, log, run_command
from settings import AUTH

ROW = "5"


def measure(session: Session, srv: BenchServer, store: Path, file_id: str) -> None:
    """`file_id` is the large file the upload row left on `srv`, stored in `store`."""
    size = session.size["big_bytes"]
    label = size_label(size)
    runs = session.size["transfer_runs"]
    blobs = list(store.glob(f"blobs/*/{file_id}"))
    if len(blobs) != 1:
        raise BenchError(f"cannot find the blob of {file_id} under {store}/blobs")
    nginx = session.nginx
    big_url = nginx.link("big.bin", blobs[0])
    content = srv.base + f"/v1/files/{file_id}/content"
    log(f"row {ROW}: download of {label} via /content vs nginx (sendfile), {runs} runs each")
    down_runs, down_rss, ng_runs = [], [], []
    curl_download(content, size)  # warm the page cache
    curl_download(nginx.base + big_url, size, auth=False)
    for i in range(runs):
        rss = RSSMonitor(srv.pid)
        with rss:
            down_runs.append(curl_download(content, size))
        down_rss.append(rss.summary())
        ng_runs.append(curl_download(nginx.base + big_url, size, auth=False))
        log(f"  run {i + 1}: mockfiles {down_runs[-1]:.0f} MB/s (RSS +{rss.growth_mib:.1f} MiB, server CPU {rss.cpu_percent} %), nginx {ng_runs[-1]:.0f} MB/s")
    session.rows.append(row(
        ROW, f"download {label} (GET /v1/files/{{id}}/content, curl)", "MB/s", round(statistics.median(down_runs), 1),
        round(statistics.median(ng_runs), 1), "nginx, same file, sendfile on", ">=", 0.5, "≥ 0.5 × nginx",
        details=dict(mockfiles_runs_mb_s=[round(x, 1) for x in down_runs], nginx_runs_mb_s=[round(x, 1) for x in ng_runs],
                     rss=down_rss, bytes=size)))
    session.rows.append(row(f"{ROW} rss", "download: server peak RSS growth (max of runs)", "MiB", max(r["rss_growth_mib"] for r in down_rss),
                            None, None, "<=", 64, "≤ 64 MiB", against="value", details=dict(runs=down_rss)))


def curl_download(url: str, size: int, auth: bool = True) -> float:
    """MB/s of one download by curl into /dev/null (curl's own timing)."""
    cmd = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{time_total} %{size_download}"]
    if auth:
        cmd += ["-H", f"Authorization: {AUTH}"]
    r = run_command(cmd + [url])
    code, seconds, got = r.stdout.split()
    if code != "200" or int(float(got)) != size:
        raise BenchError(f"GET {url}: expected 200 with {size} B, got {code} with {got} B")
    return size / float(seconds) / 1e6
