"""The README's front door, run as written: every ```sh and ```python block above the marker
`<!-- examples end` (install, pointing an SDK at it, using it in tests) runs against a server this
module starts, so an example that stops working fails here instead of in a newcomer's terminal.

How each block runs, every one in a fresh empty directory (so none leans on another's files):
- sh: bash with `set -euo pipefail`, `mockfiles` on PATH (MOCKFILES_BIN), OPENAI_BASE_URL and
  OPENAI_API_KEY set, and `curl` run with `--fail-with-body`, so an answer of 400 or more fails the
  block. `localhost:8080` and `127.0.0.1:8080` become this module's server. The lines of SKIPPED are
  left out, each for its reason; a SKIPPED entry that matches no line fails, so the list cannot go stale.
- python with a `def test_`: saved as a test file and run by pytest, whose kit plugin (installed in
  this venv, as `pip install mockfiles` installs it) starts its own server from MOCKFILES_BIN.
  Every test in it must pass.
- python without: run whole with this venv's python.
- yaml: read as a Compose file against the Compose specification, as scripts/lint reads examples/.

Also here: the configuration table of docs/configuration.md is what scripts/settings-table makes of
the sources, and names exactly the flags `mockfiles serve --help` lists.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest

from mockfiles_kit import Server
from mockfiles_kit.admin import Admin

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MARKER = "<!-- examples end"
TIMEOUT = 120

# Lines of the README's sh blocks not run here, by how they start, and why.
SKIPPED = {
    "scripts/serve": "builds from source and starts a server on port 8080; this module starts its own",
    "mockfiles serve ": "starts a server; this module's server stands in for it",
    "pip install ": "installs from PyPI into the reader's environment; this venv has the kit (editable) and openai",
    "docker ": "needs a Docker daemon",
}


@dataclass(frozen=True)
class Block:
    kind: str  # sh, python, yaml
    line: int  # of the opening fence, 1-based
    text: str

    @property
    def id(self) -> str:
        return f"{self.kind}-line{self.line}"


def readme_blocks() -> list[Block]:
    text = README.read_text()
    assert MARKER in text, f"README.md lost its marker {MARKER!r}: the examples this test runs end there"
    blocks: list[Block] = []
    lines = text.split(MARKER, 1)[0].splitlines()
    fence: tuple[str, int] | None = None
    body: list[str] = []
    for number, line in enumerate(lines, 1):
        if fence is None:
            opening = re.match(r"^```(\w*)\s*$", line)
            if opening:
                fence, body = (opening[1], number), []
        elif line.rstrip() == "```":
            kind = {"bash": "sh", "shell": "sh"}.get(fence[0], fence[0])
            if kind in ("sh", "python", "yaml"):
                blocks.append(Block(kind, fence[1], "\n".join(body) + "\n"))
            fence = None
        else:
            body.append(line)
    assert fence is None, f"README.md: the ``` block opened at line {fence[1]} is never closed"
    return blocks


BLOCKS = readme_blocks()


def skipped(line: str) -> str | None:
    stripped = line.strip()
    return next((reason for prefix, reason in SKIPPED.items() if stripped.startswith(prefix)), None)


def test_the_readme_has_its_examples() -> None:
    kinds = [b.kind for b in BLOCKS]
    assert kinds.count("sh") >= 5 and kinds.count("python") >= 4, f"too few examples found above the marker: {kinds}"
    lines = [line for b in BLOCKS if b.kind == "sh" for line in b.text.splitlines()]
    stale = [prefix for prefix in SKIPPED if not any(line.strip().startswith(prefix) for line in lines)]
    assert not stale, f"SKIPPED entries that match no line of the README's sh blocks (remove them): {stale}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    started = Server.start(None, tmp_path_factory.mktemp("readme-server-logs"))
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def bin_dir(tmp_path_factory: pytest.TempPathFactory, server: Server) -> Path:
    """A directory holding `mockfiles`, the binary under test, to put first on PATH."""
    directory = tmp_path_factory.mktemp("readme-bin")
    (directory / "mockfiles").symlink_to(server.binary)
    return directory


def environment(server: Server, bin_dir: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("OPENAI_", "MOCKFILES_"))}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        MOCKFILES_BIN=str(server.binary),
        OPENAI_BASE_URL=server.base_url,
        OPENAI_API_KEY="sk-anything",
    )
    return env


def run(args: list[str], cwd: Path, env: dict[str, str], block: Block) -> str:
    try:
        done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as timeout:
        pytest.fail(f"README.md line {block.line}: the {block.kind} example did not finish within {TIMEOUT} s\n{block.text}\n{timeout.stdout}\n{timeout.stderr}")
    output = f"--- stdout ---\n{done.stdout}\n--- stderr ---\n{done.stderr}"
    assert done.returncode == 0, f"README.md line {block.line}: the {block.kind} example failed (exit {done.returncode})\n{block.text}\n{output}"
    return output


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.kind == "sh"], ids=lambda b: b.id)
def test_shell_example(block: Block, server: Server, bin_dir: Path, tmp_path: Path) -> None:
    with httpx2.Client(base_url=server.root_url, timeout=30) as http:
        Admin(http).reset()
    kept = [line for line in block.text.splitlines() if not skipped(line)]
    script = re.sub(r"\b(?:localhost|127\.0\.0\.1):8080\b", f"127.0.0.1:{server.port}", "\n".join(kept))
    prelude = 'set -euo pipefail\ncurl() { command curl --fail-with-body --max-time 30 "$@"; }\n'
    run(["bash", "-c", prelude + script], tmp_path, environment(server, bin_dir), block)


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.kind == "python"], ids=lambda b: b.id)
def test_python_example(block: Block, server: Server, bin_dir: Path, tmp_path: Path) -> None:
    env = environment(server, bin_dir)
    tests = re.findall(r"^def (test_\w+)\(", block.text, re.M)
    if not tests:
        (tmp_path / "example.py").write_text(block.text)
        run([sys.executable, "example.py"], tmp_path, env, block)
        return
    (tmp_path / "test_readme_example.py").write_text(block.text)
    output = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_readme_example.py"], tmp_path, env, block)
    assert re.search(rf"\b{len(tests)} passed\b", output), f"README.md line {block.line}: want {len(tests)} passed ({tests})\n{output}"


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.kind == "yaml"], ids=lambda b: b.id)
def test_compose_example(block: Block) -> None:
    from compose_spec import PyCompose

    PyCompose.from_yaml(block.text)


def test_the_configuration_table_is_generated() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "scripts/settings-table"), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_configuration_table_names_every_flag_of_serve(server: Server) -> None:
    help_text = subprocess.run([str(server.binary), "serve", "--help"], capture_output=True, text=True, check=True).stdout
    flags = set(re.findall(r"^\s+(--[a-z0-9-]+)", help_text, re.M)) - {"--help", "--version"}
    table = (ROOT / "docs/configuration.md").read_text()
    listed = set(re.findall(r"^\| [^|]+ \| `(--[a-z0-9-]+)` \|", table, re.M))
    assert listed == flags, f"only in the table: {sorted(listed - flags)}; only in `serve --help`: {sorted(flags - listed)}"


def test_the_plugin_drives_a_server_that_wants_a_token(tmp_path: Path, bin_dir: Path, server: Server) -> None:
    """The README's Docker and compose setups: a server elsewhere (MOCKFILES_URL) whose admin API wants
    a token; the plugin sends MOCKFILES_ADMIN_TOKEN, and without it the reset is refused."""
    block = next(b for b in BLOCKS if b.kind == "python" and "def test_" in b.text)
    (tmp_path / "test_readme_example.py").write_text(block.text)
    guarded = Server.start(None, tmp_path / "logs", ["--admin-token", "admin-secret"])
    try:
        env = {**environment(server, bin_dir), "MOCKFILES_URL": guarded.root_url, "MOCKFILES_ADMIN_TOKEN": "admin-secret"}
        args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_readme_example.py"]
        run(args, tmp_path, env, block)
        del env["MOCKFILES_ADMIN_TOKEN"]
        refused = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=TIMEOUT)
        assert refused.returncode != 0 and "401" in refused.stdout, refused.stdout[-2000:]
    finally:
        guarded.stop()
