"""The check tally of the reliability scripts: thousands of checks from many threads, one line at the end.

Each script ends with `N passed, M failed` (a closing line CI reads in any language) and exits 1 on any
failure, so a script is a test without a test runner.
"""

from __future__ import annotations

import shutil
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Tally:
    """Counts checks; keeps the first few failure messages of each kind (a kind may fail thousands of times)."""

    passed: int = 0
    failed: int = 0
    failures: dict[str, list[str]] = field(default_factory=dict)
    failure_counts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, ok: bool, kind: str, detail: str = "") -> bool:
        """Counts one check of `kind`; returns `ok`, so a caller can go on only when it held."""
        with self.lock:
            if ok:
                self.passed += 1
            else:
                self.failed += 1
                self.failure_counts[kind] = self.failure_counts.get(kind, 0) + 1
                shown = self.failures.setdefault(kind, [])
                if len(shown) < 5:
                    shown.append(detail)
        return ok

    def report(self) -> None:
        if self.failed:
            print("\nFAILURES:")
            for kind, messages in self.failures.items():
                print(f"  {kind}: {self.failure_counts[kind]}")
                for m in messages:
                    print(f"    - {m}")
        print()
        print(f"{self.passed} passed, {self.failed} failed", flush=True)

    def exit(self) -> None:
        sys.stdout.flush()
        sys.exit(1 if self.failed else 0)

    def finish(self, work: Path, keep: bool) -> None:
        """The end of every script: keep the work dir when something failed (or when asked), else
        remove it; print the failures and the `N passed, M failed` line; exit non-zero on a failure."""
        if self.failed or keep:
            print(f"  kept for inspection: {work} (data dir and server logs)")
        else:
            shutil.rmtree(work, ignore_errors=True)
        self.report()
        self.exit()
