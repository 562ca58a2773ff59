"""Writes the `mockfiles` wheel: the server binary and the Python kit in one platform wheel.

    python3 scripts/lib/wheel.py --binary PATH --version V --platform manylinux_2_X_x86_64 --out DIR

Run by scripts/release. The binary goes in the wheel's `.data/scripts/`, which pip installs as it is
into the environment's scripts directory (a venv's bin/), so `mockfiles` is on the venv's PATH with no
Python shim in front of it (as ruff's wheels do); the kit (clients/python/src/mockfiles_kit) goes in as
a package, with its pytest plugin's entry point. The kit's plugin finds the binary through this
distribution's RECORD (mockfiles_kit.server.bundled_binary). Standard library only, and reproducible:
every entry has the same timestamp (SOURCE_DATE_EPOCH) and a fixed order.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KIT = ROOT / "clients" / "python"

DESCRIPTION = """\
# mockfiles

A local server that speaks the OpenAI Files and Uploads APIs, for tests: point the official SDK at it
(`OPENAI_BASE_URL`), and drive it from pytest with the fixtures this package brings.

```sh
pip install mockfiles openai
```

This wheel holds the `mockfiles` server binary (Linux, x86_64, self-contained: glibc is all it needs),
on your environment's PATH, and `mockfiles_kit`, whose pytest plugin starts the server for a test
session:

```python
def test_upload(mockfiles_openai, mockfiles_admin):
    created = mockfiles_openai.files.create(file=("notes.pdf", b"%PDF-1.4"), purpose="user_data")
    assert mockfiles_openai.files.retrieve(created.id).status == "processed"
    mockfiles_admin.verify(method="POST", path="/v1/files", count=1)
```

The binary it starts is `MOCKFILES_BIN` when set, else this wheel's. Licence: Apache-2.0; the licences
of what is linked into the binary are in THIRD_PARTY_NOTICES.
"""


def kit_metadata() -> tuple[list[str], list[str], str, str]:
    """The kit's dependencies, extras, Requires-Python and pytest entry point, from clients/python's
    pyproject.toml, so the wheel cannot drift from the kit's own package."""
    import tomllib

    project = tomllib.loads((KIT / "pyproject.toml").read_text())["project"]
    requires = [f"Requires-Dist: {dependency}" for dependency in project.get("dependencies", [])]
    extras = []
    for extra, dependencies in project.get("optional-dependencies", {}).items():
        extras.append(f"Provides-Extra: {extra}")
        requires += [f"Requires-Dist: {dependency}; extra == '{extra}'" for dependency in dependencies]
    plugins = project.get("entry-points", {}).get("pytest11", {})
    entry_points = "[pytest11]\n" + "".join(f"{name} = {target}\n" for name, target in plugins.items())
    return requires, extras, project.get("requires-python", ">=3.11"), entry_points


def record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", type=Path, required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--platform", required=True, help="e.g. manylinux_2_34_x86_64")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if not re.fullmatch(r"manylinux_\d+_\d+_\w+", args.platform):
        sys.exit(f"wheel.py: --platform {args.platform!r} is not a manylinux_X_Y_ARCH tag")

    kit_version = re.search(r'^__version__ = "([^"]*)"$', (KIT / "src/mockfiles_kit/__init__.py").read_text(), re.M)
    if not kit_version or kit_version[1] != args.version:
        sys.exit(f"wheel.py: mockfiles_kit.__version__ is {kit_version and kit_version[1]}, the wheel's version {args.version}")

    name = "mockfiles"
    tag = f"py3-none-{args.platform}"
    dist_info = f"{name}-{args.version}.dist-info"
    data = f"{name}-{args.version}.data"
    requires, extras, requires_python, entry_points = kit_metadata()

    metadata = "\n".join(
        [
            "Metadata-Version: 2.4",
            f"Name: {name}",
            f"Version: {args.version}",
            "Summary: A local OpenAI Files and Uploads API server for tests: the binary and its pytest plugin.",
            "License-Expression: Apache-2.0",
            "License-File: LICENSE",
            "License-File: THIRD_PARTY_NOTICES",
            f"Requires-Python: {requires_python}",
            *requires,
            *extras,
            "Classifier: Framework :: Pytest",
            "Classifier: Operating System :: POSIX :: Linux",
            "Description-Content-Type: text/markdown",
            "",
            DESCRIPTION,
        ]
    )
    wheel = f"Wheel-Version: 1.0\nGenerator: mockfiles scripts/lib/wheel.py\nRoot-Is-Purelib: false\nTag: {tag}\n"

    # (name in the wheel, bytes, executable)
    entries: list[tuple[str, bytes, bool]] = []
    package = KIT / "src" / "mockfiles_kit"
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            entries.append((f"mockfiles_kit/{path.relative_to(package).as_posix()}", path.read_bytes(), False))
    entries.append((f"{data}/scripts/mockfiles", args.binary.read_bytes(), True))
    entries.append((f"{dist_info}/METADATA", metadata.encode(), False))
    entries.append((f"{dist_info}/WHEEL", wheel.encode(), False))
    entries.append((f"{dist_info}/entry_points.txt", entry_points.encode(), False))
    for notice in ("LICENSE", "THIRD_PARTY_NOTICES"):
        entries.append((f"{dist_info}/licenses/{notice}", (ROOT / notice).read_bytes(), False))
    record = "".join(record_line(n, b) + "\n" for n, b, _ in entries) + f"{dist_info}/RECORD,,\n"
    entries.append((f"{dist_info}/RECORD", record.encode(), False))

    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "315532800"))  # zip's earliest date, 1980, by default
    stamp = time.gmtime(max(epoch, 315532800))[:6]
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / f"{name}-{args.version}-{tag}.whl"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for entry_name, content, executable in entries:
            info = zipfile.ZipInfo(entry_name, date_time=stamp)
            info.external_attr = ((0o100755 if executable else 0o100644) & 0xFFFF) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content, compresslevel=9)
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
