"""What a result is worth only with: the machine it was measured on and the versions of everything in it."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from settings import ROOT


def machine_info(work: Path) -> dict:
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1])
    except OSError:
        pass
    disk = ""
    try:
        disk = subprocess.run(["df", "-hT", str(work)], capture_output=True, text=True).stdout.strip().splitlines()[-1]
    except (OSError, IndexError):
        pass
    return dict(nproc=os.cpu_count(), mem_total_gib=round(mem / 1024 / 1024, 1), kernel=platform.release(),
                cpu_model=cpu, os=_os_release(), work_dir_filesystem=disk)


def _os_release() -> str:
    try:
        for line in open("/etc/os-release"):
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.platform()


def versions(binary: str) -> dict:
    def first_line(cmd):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
            return (r.stdout + r.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return None

    commit = first_line(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "Sources", "Package.swift"],
                           capture_output=True, text=True).stdout.strip() != ""
    st = os.stat(binary)
    return dict(git_commit=commit, sources_dirty=dirty, mockfiles_binary=binary,
                binary_mtime=time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(st.st_mtime)),
                nginx=first_line(["nginx", "-v"]), wrk=first_line(["wrk", "-v"]), curl=first_line(["curl", "--version"]),
                python=sys.version.split()[0], sqlite=sqlite3.sqlite_version)
