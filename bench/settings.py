"""What every measurement of one run shares: the sizes of quick and full runs, the load shape, the API key."""

from __future__ import annotations

from pathlib import Path

MiB = 1024 * 1024
GiB = 1024 * MiB
API_KEY = "sk-bench"
AUTH = f"Bearer {API_KEY}"
ROOT = Path(__file__).resolve().parent.parent

SIZES = {
    "quick": dict(
        list_files=10_000, flat_small=1_000, flat_large=10_000, big_bytes=64 * MiB,
        wrk_seconds=2, wrk_warmup_seconds=1, latency_samples=100, transfer_runs=3,
        startup_runs=3, small_upload_seconds=2, shared_files=1_000,
        batch_lines=10_000, batch_big_bytes=40 * 1_000_000, batch_runs=1,
    ),
    "full": dict(
        list_files=100_000, flat_small=10_000, flat_large=1_000_000, big_bytes=1 * GiB,
        wrk_seconds=10, wrk_warmup_seconds=2, latency_samples=200, transfer_runs=3,
        startup_runs=5, small_upload_seconds=10, shared_files=10_000,
        batch_lines=50_000, batch_big_bytes=200 * 1_000_000, batch_runs=3,
    ),
}
WRK_CONNECTIONS = 32
WRK_THREADS = 2
SMALL_UPLOAD_CLIENTS = 16
SMALL_UPLOAD_BYTES = 1024
SEED_PURPOSES = ["user_data", "batch"]
FILTER_PURPOSE = "batch"
PAGE_LIMIT = 100
