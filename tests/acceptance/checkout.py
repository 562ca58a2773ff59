"""This checkout of mockfiles: its root, where config/ and fixtures/ hold the examples tests start servers with."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
