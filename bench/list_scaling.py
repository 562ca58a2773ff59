"""A limit=100 list page at two store sizes (the full run: 1,000,000 vs 10,000 files): the page must not get
slower with the store, so no query may scan it.

Eight variants (first or deep page, asc or desc, all purposes or one), each timed on both stores,
interleaved round by round over one keep-alive connection per server, so load drift on a shared machine
hits every figure alike; the worst variant's ratio is the row. The SQLite plans of the same queries are
kept beside the figures.
"""

from __future__ import annotations

import sqlite3
import statistics
import time
import urllib.parse
from pathlib import Path

from client import connection, get, get_json, list_walk_position
from procstats import read_status_kib, wait_idle
from report import row
from session import BenchError, Session, log
from settings import FILTER_PURPOSE, PAGE_LIMIT, SEED_PURPOSES

ROW = "3"


def measure(session: Session, stores: dict[int, Path], small_n: int, large_n: int) -> None:
    results, plans, servers = {}, {}, {}
    try:
        # Both stores are served at once and measured interleaved.
        for n in (large_n, small_n):  # the large store first: its start-up recovery is the long one
            servers[n] = session.server(stores[n], f"flat-{n}")
            servers[n].start()
        targets = {}
        for n, srv in servers.items():
            settle = wait_idle(srv.pid)
            rss = read_status_kib(srv.pid, "VmRSS") / 1024
            log(f"row {ROW}: {n} files: the server settled {settle:.1f} s after start-up (RSS {rss:.0f} MiB)")
            if settle > 5:
                session.notes.append(f"row {ROW}: with {n:,} files the server was busy for {settle:.0f} s after start-up "
                                     f"(RSS then {rss:.0f} MiB)")
            variants = page_variants(srv.base, n)
            targets[n] = (srv.base, variants)
            results[n] = dict(variants=variants, settle_seconds=round(settle, 2), rss_after_settle_mib=round(rss, 1))
        log(f"row {ROW}: {len(targets[small_n][1])} variants x {session.size['latency_samples']} rounds, both stores interleaved")
        latency = interleaved_latency(targets, session.size["latency_samples"])
        for n in servers:
            results[n]["latency"] = latency[n]
        dashboard_page(session, servers[large_n].base, large_n)
    finally:
        for srv in servers.values():
            srv.stop()
    for n in (small_n, large_n):
        plans[str(n)] = query_plans(stores[n], results[n]["variants"])
    ratios = {}
    for key in results[small_n]["latency"]:
        a, b = results[small_n]["latency"][key]["median_ms"], results[large_n]["latency"][key]["median_ms"]
        ratios[key] = dict(small_median_ms=a, large_median_ms=b, ratio=round(b / a, 3) if a else None)
    worst = max(ratios, key=lambda k: ratios[k]["ratio"] or 0)
    session.details["query_plans"] = plans
    scans = [f"{n}: {k}" for n, p in plans.items() for k, v in p.items() if v.get("full_scan") or v.get("temp_btree")]
    session.rows.append(row(
        ROW, f"limit={PAGE_LIMIT} page median, {large_n:,} vs {small_n:,} files (worst of 8 variants: {worst})",
        "ms", ratios[worst]["large_median_ms"], ratios[worst]["small_median_ms"], f"same page at {small_n:,} files",
        "<=", 1.5, "ratio ≤ 1.5", ratio=ratios[worst]["ratio"],
        details=dict(per_variant=ratios, worst_variant=worst, small=results[small_n], large=results[large_n],
                     plans_with_scan_or_temp_btree=scans)))
    for key, r in ratios.items():
        log(f"  {key}: {r['small_median_ms']:.2f} ms -> {r['large_median_ms']:.2f} ms (x{r['ratio']})")


def dashboard_page(session: Session, base: str, count: int) -> None:
    """Row "3 ui": the dashboard's Files page (100 files, newest first, as HTML) against the API's
    limit=100 page of the same files, interleaved on one keep-alive connection each."""
    paths = {"ui": "/ui/files?tenant=shared", "api": f"/v1/files?limit={PAGE_LIMIT}"}
    conns = {k: connection(base, timeout=60) for k in paths}
    times: dict[str, list[float]] = {k: [] for k in paths}
    try:
        for round_ in range(5 + session.size["latency_samples"]):
            for key, path in paths.items():
                t0 = time.perf_counter()
                status, body, _ = get(base, path, conn=conns[key])
                dt = time.perf_counter() - t0
                if status != 200:
                    raise BenchError(f"GET {path}: expected 200, got {status}: {body[:300]!r}")
                if round_ >= 5:
                    times[key].append(dt)
        page, _ = get_json(base, paths["api"], conns["api"])
        _, html, _ = get(base, paths["ui"], conn=conns["ui"])
        if not all(f["id"].encode() in html for f in page["data"]):
            raise BenchError("the dashboard's Files page does not show the API's first page")
    finally:
        for c in conns.values():
            c.close()
    ui, api = (round(statistics.median(times[k]) * 1000, 3) for k in ("ui", "api"))
    session.rows.append(row(
        f"{ROW} ui", f"dashboard Files page ({PAGE_LIMIT} files as HTML) at {count:,} files", "ms", ui, api,
        f"GET /v1/files?limit={PAGE_LIMIT}, same files, interleaved", "<=", 1.5, "ratio ≤ 1.5",
        details=dict(ui_samples=len(times["ui"]), api_samples=len(times["api"]))))


def page_variants(base: str, count: int) -> dict:
    """Cursors for the deep pages: the middle of the list (and of the purpose-filtered list)."""
    per_purpose = count // len(SEED_PURPOSES)
    mid_all = list_walk_position(base, count // 2, None)
    mid_purpose = list_walk_position(base, per_purpose // 2, FILTER_PURPOSE)
    variants = {}
    for purpose, cursor in ((None, mid_all), (FILTER_PURPOSE, mid_purpose)):
        for order in ("desc", "asc"):
            for deep in (False, True):
                q = {"limit": PAGE_LIMIT, "order": order}
                if purpose:
                    q["purpose"] = purpose
                if deep:
                    q["after"] = cursor["id"]
                key = f"{'deep' if deep else 'first'} page, {order}, " + (f"purpose={purpose}" if purpose else "all purposes")
                variants[key] = dict(path="/v1/files?" + urllib.parse.urlencode(q), purpose=purpose,
                                     order=order, after=cursor["id"] if deep else None,
                                     cursor_created_at=cursor["created_at"] if deep else None)
    return variants


def interleaved_latency(targets: dict, samples: int) -> dict:
    """targets: store size -> (base URL, variants). Requests go round-robin over variants and
    stores, one keep-alive connection per server, so load drift on a shared machine hits every
    figure alike. Returns store size -> variant -> timing."""
    conns = {}
    for n, (base, _) in targets.items():
        conns[n] = connection(base, timeout=60)
    times = {n: {k: [] for k in variants} for n, (_, variants) in targets.items()}
    keys = list(next(iter(targets.values()))[1])
    try:
        for round_ in range(5 + samples):  # 5 warm-up rounds
            for key in keys:
                for n, (base, variants) in targets.items():
                    path = variants[key]["path"]
                    t0 = time.perf_counter()
                    status, body, _ = get(base, path, conn=conns[n])
                    dt = time.perf_counter() - t0
                    if status != 200:
                        raise BenchError(f"GET {path} ({n} files): expected 200, got {status}: {body[:300]!r}")
                    if round_ >= 5:
                        times[n][key].append(dt)
        # Check the pages once: full, in order, filtered, past the cursor.
        for n, (base, variants) in targets.items():
            for key, v in variants.items():
                page, _ = get_json(base, v["path"], conns[n])
                data = page["data"]
                if len(data) != PAGE_LIMIT:
                    raise BenchError(f"GET {v['path']} ({n} files): expected {PAGE_LIMIT} items, got {len(data)}")
                if v["purpose"] and any(f["purpose"] != v["purpose"] for f in data):
                    raise BenchError(f"GET {v['path']} ({n} files): an item of another purpose")
                stamps = [f["created_at"] for f in data]
                if stamps != sorted(stamps, reverse=v["order"] == "desc"):
                    raise BenchError(f"GET {v['path']} ({n} files): items out of created_at order")
                if v["after"] and any(f["id"] == v["after"] for f in data):
                    raise BenchError(f"GET {v['path']} ({n} files): the page repeats its cursor")
                if v["after"]:
                    bad = [f for f in data if (f["created_at"] < v["cursor_created_at"] if v["order"] == "asc"
                                               else f["created_at"] > v["cursor_created_at"])]
                    if bad:
                        raise BenchError(f"GET {v['path']} ({n} files): items on the wrong side of the cursor")
    finally:
        for c in conns.values():
            c.close()
    return {n: {k: dict(median_ms=round(statistics.median(t) * 1000, 3),
                        p90_ms=round(sorted(t)[max(0, int(len(t) * 0.9) - 1)] * 1000, 3),
                        min_ms=round(min(t) * 1000, 3), samples=len(t)) for k, t in per.items()}
            for n, per in times.items()}


def query_plans(store: Path, variants: dict) -> dict:
    db = sqlite3.connect(f"file:{store / 'mockfiles.sqlite'}?mode=ro", uri=True)
    try:
        tenant = db.execute("SELECT tenant FROM files LIMIT 1").fetchone()[0]
        cols = "seq, id, tenant, purpose, filename, bytes, created_at, expires_at, processed_at_ms"
        plans = {}
        now = int(time.time())
        for key, v in variants.items():
            cond = ["tenant = ?", "(expires_at IS NULL OR expires_at > ?)"]
            params: list = [tenant, now]
            if v["purpose"]:
                cond.append("purpose = ?")
                params.append(v["purpose"])
            if v["after"]:
                row = db.execute("SELECT created_at, seq FROM files WHERE id = ?", (v["after"],)).fetchone()
                cond.append("(created_at, seq) > (?, ?)" if v["order"] == "asc" else "(created_at, seq) < (?, ?)")
                params += list(row)
            d = v["order"].upper()
            sql = f"SELECT {cols} FROM files WHERE {' AND '.join(cond)} ORDER BY created_at {d}, seq {d} LIMIT ?"
            params.append(PAGE_LIMIT)
            plan = [r[3] for r in db.execute("EXPLAIN QUERY PLAN " + sql, params)]
            t = []
            for _ in range(20):
                t0 = time.perf_counter()
                db.execute(sql, params).fetchall()
                t.append(time.perf_counter() - t0)
            plans[key] = dict(sql=sql, plan=plan, sqlite_median_ms=round(statistics.median(t) * 1000, 3),
                              full_scan=any(p.startswith("SCAN") for p in plan),
                              temp_btree=any("TEMP B-TREE" in p for p in plan))
        cursor_lookup = "SELECT created_at, seq FROM files WHERE id = ? AND tenant = ?"
        plans["cursor lookup"] = dict(sql=cursor_lookup, plan=[r[3] for r in db.execute(
            "EXPLAIN QUERY PLAN " + cursor_lookup, ("x", tenant))])
        return plans
    finally:
        db.close()
