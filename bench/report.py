"""Rows of the results: each figure with its reference, ratio, target and verdict, and the markdown table
they are printed as (the row labels, "1" … "7", "4 rss", are only labels: they order the table)."""

from __future__ import annotations

import re

from settings import GiB, MiB


def row(label, measure, unit, mine, ref, ref_name, target_op=None, target=None, target_text="",
        ratio=None, against="ratio", details=None) -> dict:
    """A measured row; its target applies to the ratio (`against="ratio"`) or to the figure itself."""
    if ratio is None and mine is not None and ref:
        ratio = mine / ref
    met = None
    if target is not None and mine is not None:
        value = ratio if against == "ratio" else mine
        if value is not None:
            met = value >= target if target_op == ">=" else value <= target
    return dict(row=label, measure=measure, unit=unit, mockfiles=mine, reference=ref, reference_name=ref_name,
                ratio=ratio, target=target_text or None, target_value=target, target_op=target_op,
                target_applies_to=against if target is not None else None, met=met, details=details or {})


def error_row(label, measure, error) -> dict:
    return dict(row=label, measure=measure, unit=None, mockfiles=None, reference=None, reference_name=None,
                ratio=None, target=None, met=None, error=str(error))


def row_key(r: dict):
    head = str(r["row"]).split()[0]
    return (int(re.match(r"\d+", head).group()), str(r["row"]))


def rounded(rows: list[dict]) -> None:
    """Figures to 0.1, ratios to 0.001, as the JSON file and the table show them."""
    for r in rows:
        for k in ("mockfiles", "reference", "ratio"):
            if isinstance(r.get(k), float):
                r[k] = round(r[k], 3 if k == "ratio" else 1)


def size_label(size: int) -> str:
    return f"{size // GiB} GiB" if size >= GiB else f"{size // MiB} MiB"


def fmt(value, unit) -> str:
    if value is None:
        return "—"
    if unit in ("req/s", "uploads/s"):
        return f"{value:,.0f} {unit}"
    if unit == "ms":
        return f"{value:,.2f} ms" if value < 10 else f"{value:,.1f} ms"
    return f"{value:,.1f} {unit}"


def markdown_table(rows: list[dict]) -> str:
    lines = ["| # | measure | mockfiles | reference | ratio | target | met |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        if r.get("error"):
            lines.append(f"| {r['row']} | {r['measure']} | ERROR | — | — | — | ERROR: {str(r['error']).splitlines()[0][:200]} |")
            continue
        ref = fmt(r["reference"], r["unit"])
        if r.get("reference_name") and r["reference"] is not None:
            ref += f" ({r['reference_name']})"
        ratio = "—" if r["ratio"] is None else f"{r['ratio']:.2f}"
        met = "—" if r["met"] is None else ("PASS" if r["met"] else "MISS")
        lines.append(f"| {r['row']} | {r['measure']} | {fmt(r['mockfiles'], r['unit'])} | {ref} | {ratio} | {r['target'] or 'report'} | {met} |")
    return "\n".join(lines)
