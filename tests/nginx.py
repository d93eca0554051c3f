"""A throwaway nginx running deploy/nginx-replicas.conf: on a free port of 127.0.0.1, in a temporary
prefix, in front of upstreams on ports of our choosing. Used by tests/test_deploy_config.py and
bench/replicas.py; stopped (its own process only) and deleted at the end.

The deploy file is used as it is except for what only a real host has: its `listen 443 ssl` and
certificate lines become `listen 127.0.0.1:PORT`, the port-80 redirect server is left out, and the
upstream's `server 127.0.0.1:8501 ...` lines get the given ports (their parameters kept).
nginx comes from Debian's `nginx` package (`make nginx-deps`).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPLICAS_CONF = ROOT / "deploy" / "nginx-replicas.conf"
NGINX = "/usr/sbin/nginx"


def nginx_binary() -> str:
    found = shutil.which("nginx") or (NGINX if Path(NGINX).exists() else None)
    if found is None:
        raise RuntimeError("nginx is missing: install the Debian package 'nginx' (make nginx-deps does this as root)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main_config(prefix: Path, site: str) -> str:
    """A whole nginx.conf around `site` (text for the http context), everything inside `prefix`."""
    user = "user nobody nogroup;\n" if os.geteuid() == 0 else ""  # as root the workers drop to nobody
    return (
        f"{user}worker_processes 2;\n"
        f"pid {prefix}/nginx.pid;\n"
        f"error_log {prefix}/error.log warn;\n"
        "events { worker_connections 2048; }\n"
        "http {\n"
        '    log_format icsat_upstream \'$status $request_time "$upstream_addr" "$request" $cookie_icsat_route\';\n'
        f"    access_log {prefix}/access.log icsat_upstream;\n"
        f"    client_body_temp_path {prefix}/client_body;\n"
        f"    proxy_temp_path {prefix}/proxy;\n"
        f"    fastcgi_temp_path {prefix}/fastcgi;\n"
        f"    uwsgi_temp_path {prefix}/uwsgi;\n"
        f"    scgi_temp_path {prefix}/scgi;\n"
        f"{site}\n"
        "}\n"
    )


def adapt_replicas_config(text: str, listen_port: int, upstream_ports: Sequence[int]) -> str:
    """deploy/nginx-replicas.conf for this machine: plain HTTP on 127.0.0.1:`listen_port`, the
    upstream's servers on `upstream_ports` (as many as given; the first line's parameters kept)."""
    site, redirects = re.subn(r"\nserver \{\n    listen 80;.*?\n\}\n", "\n", text, flags=re.S)
    site, listens = re.subn(r"listen 443 ssl;", f"listen 127.0.0.1:{listen_port};", site)
    site, certs = re.subn(r"\n\s*ssl_certificate(_key)? [^\n]*;", "", site)
    servers = re.findall(r"\n(\s*)server 127\.0\.0\.1:\d+( [^;\n]*)?;", site)
    if (redirects, listens, certs) != (1, 1, 2) or not servers:
        raise ValueError("deploy/nginx-replicas.conf changed shape: update tests/nginx.py adapt_replicas_config")
    indent, params = servers[0]
    lines = "".join(f"\n{indent}server 127.0.0.1:{port}{params or ''};" for port in upstream_ports)
    site = re.sub(r"(\n\s*server 127\.0\.0\.1:\d+[^;\n]*;)+", lambda _: lines, site, count=1)
    return site


def check_config(conf: Path, prefix: Path) -> subprocess.CompletedProcess:
    """`nginx -t` of a whole configuration file."""
    return subprocess.run(
        [nginx_binary(), "-t", "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(conf)],
        capture_output=True,
        text=True,
        check=False,
    )


class TemporaryNginx:
    """nginx with deploy/nginx-replicas.conf on 127.0.0.1:`port`, proxying to `upstream_ports`."""

    def __init__(self, upstream_ports: Sequence[int], *, port: int | None = None, timeout: float = 20.0) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.prefix = Path(tempfile.mkdtemp(prefix="icsat-nginx-"))
        self.prefix.chmod(0o755)  # the workers (nobody, as root) must reach their temp folders
        self.proc: subprocess.Popen | None = None
        try:
            site = adapt_replicas_config(REPLICAS_CONF.read_text(encoding="utf-8"), self.port, upstream_ports)
            self.conf = self.prefix / "nginx.conf"
            self.conf.write_text(main_config(self.prefix, site), encoding="utf-8")
            checked = check_config(self.conf, self.prefix)
            if checked.returncode != 0:
                raise RuntimeError(f"nginx -t failed:\n{checked.stderr}")
            command = [nginx_binary(), "-p", str(self.prefix), "-e", str(self.prefix / "error.log")]
            self.proc = subprocess.Popen(
                [*command, "-c", str(self.conf), "-g", "daemon off;"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            deadline = time.monotonic() + timeout
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"nginx stopped at start:\n{self.proc.stderr.read().decode()}")
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("nginx did not listen in time") from None
                    time.sleep(0.05)
        except BaseException:
            self.stop()
            raise

    def access_log(self) -> list[str]:
        """One line per request: status, seconds, "the upstream(s) tried", "request line", route cookie."""
        path = self.prefix / "access.log"
        return path.read_text(errors="replace").splitlines() if path.exists() else []

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        try:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.terminate()  # SIGTERM to its master: a fast shutdown, workers included
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(10)
        finally:
            if self.proc is not None and self.proc.stderr is not None:
                self.proc.stderr.close()
            shutil.rmtree(self.prefix, ignore_errors=True)
