"""Data dirs are not deleted in place: they are renamed into work/trash and a detached, idle-priority
`rm -rf` empties it. Unlinking a million blobs takes many minutes on some disks (about 1 ms each here),
and a run should not wait for that."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from session import log


def removal_running(work: Path) -> bool:
    """Whether the `rm -rf` of an earlier run is still emptying work/trash."""
    try:
        pid = int((work / "trash.pid").read_text())
        return str(work / "trash").encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return False


def discard(work: Path, dirs: list[Path], background: bool = True) -> None:
    """Moves `dirs` into work/trash; with `background`, starts emptying it."""
    trash = work / "trash"
    trash.mkdir(exist_ok=True)
    for d in dirs:
        if d.exists():
            d.rename(trash / f"{d.name}-{os.getpid()}-{time.time_ns()}")
    if background and any(trash.iterdir()):
        if removal_running(work):
            log(f"an earlier removal of {trash} is still running; run `rm -rf {trash}` if anything is left")
            return
        pid_file = work / "trash.pid"
        cmd = ["rm", "-rf", str(trash)]
        if shutil.which("ionice"):
            cmd = ["ionice", "-c3", *cmd]
        proc = subprocess.Popen(["nice", "-n", "19", *cmd], start_new_session=True,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pid_file.write_text(str(proc.pid))
        log(f"removing the data dirs in the background ({trash}, pid {proc.pid})")
