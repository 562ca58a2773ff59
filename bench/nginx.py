"""The reference server of the throughput and download rows: a private nginx (its own config, pid, logs and
temp paths under the work dir, loopback only, one worker per CPU, sendfile, keep-alive without a request
cap, no access log) serving the exact bytes mockfiles answered, saved to files."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import urllib.parse
from pathlib import Path

from mockfiles_kit import free_port

from client import get
from session import BenchError


class Nginx:
    """Started once per run; `put` and `link` place what it serves."""

    def __init__(self, work: Path):
        self.dir = work / "nginx"
        self.www = self.dir / "www"
        self.port = 0
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        self.www.mkdir(parents=True)
        (self.dir / "balancers").mkdir()
        self.port = free_port()
        user = "user root root;\n" if os.geteuid() == 0 else ""
        d = self.dir
        conf = f"""{user}worker_processes {os.cpu_count() or 2};
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 120s;
    keepalive_requests 100000000;
    types {{ application/json json; application/octet-stream bin; }}
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{self.port};
        root {self.www};
        location / {{ }}
    }}
    include {d}/balancers/*.conf;
}}
"""
        (d / "nginx.conf").write_text(conf)
        self.proc = subprocess.Popen(["nginx", "-p", str(d), "-c", str(d / "nginx.conf"), "-g", "daemon off;"],
                                     stdout=open(d / "stdout.log", "w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        (self.www / "ping").write_text("pong")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"nginx exited {self.proc.returncode}: {(d / 'stdout.log').read_text()[-1000:]} {(d / 'error.log').read_text()[-1000:] if (d / 'error.log').exists() else ''}")
            try:
                status, body, _ = get(self.base, "/ping", auth=False)
                if status == 200 and body == b"pong":
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise BenchError("nginx did not answer within 15 s")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def put(self, name: str, data: bytes) -> str:
        (self.www / name).write_bytes(data)
        return "/" + name

    def mirror(self, name: str, base: str, path: str, body: bytes) -> str:
        """Saves `body`, mockfiles' answer to GET `path`, as the static file `name`; checks that mockfiles
        answers the same bytes again and that nginx serves them. Returns nginx's path for them."""
        served = self.put(name, body)
        if get(base, path)[1] != body:
            raise BenchError(f"GET {path}: a second answer differs from the first")
        if get(self.base, served)[1] != body:
            raise BenchError("nginx does not serve the saved bytes")
        return served

    def link(self, name: str, target: Path) -> str:
        path = self.www / name
        if path.exists() or path.is_symlink():
            path.unlink()
        path.symlink_to(target)
        return "/" + name

    def balance(self, name: str, upstreams: list[str]) -> str:
        """A proxy on a port of its own that spreads requests over `upstreams` (base URLs) round-robin on
        kept-alive connections; nginx reloads its config. Returns the proxy's base URL."""
        if not self.proc or self.proc.poll() is not None:
            raise BenchError("nginx is not running")
        port = free_port()
        servers = "".join(f"        server {urllib.parse.urlsplit(u).netloc};\n" for u in upstreams)
        (self.dir / "balancers" / f"{name}.conf").write_text(f"""upstream {name} {{
{servers}        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://{name};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
""")
        self.proc.send_signal(signal.SIGHUP)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if get(base, "/health", auth=False)[0] == 200:
                    return base
            except OSError:
                pass
            time.sleep(0.05)
        raise BenchError(f"nginx did not answer on its {name} proxy within 15 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
