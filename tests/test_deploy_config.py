"""The upload limit is set where the issue asked (issue 16, problem 5) and the proxy example agrees."""

import re
import tomllib

from tests.conftest import ROOT


def test_the_upload_limit_is_what_the_imports_need_and_the_proxy_says_the_same():
    server = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))["server"]
    limit = server["maxUploadSize"]  # megabytes; Streamlit's default of 200 let any session fill memory
    assert 6.3 < limit <= 32  # a 100,000-person roster with long email addresses is 6.3 MB
    nginx = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    assert re.search(rf"^\s*client_max_body_size {limit}m;", nginx, re.M)
    assert server["enableXsrfProtection"] is True


# --- Replicas (issue 23): deploy/nginx-replicas.conf and the systemd units ------------------------


def test_the_replicas_config_passes_nginx_t_as_shipped(tmp_path):
    """The file as it is (only its certificate paths pointed at a throwaway self-signed pair)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from tests.nginx import REPLICAS_CONF, check_config, main_config

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "icsat.example.com")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "icsat.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "icsat.key").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    site = REPLICAS_CONF.read_text(encoding="utf-8")
    site = site.replace("/etc/ssl/certs/icsat.pem", str(tmp_path / "icsat.pem"))
    site = site.replace("/etc/ssl/private/icsat.key", str(tmp_path / "icsat.key"))
    conf = tmp_path / "nginx.conf"
    conf.write_text(main_config(tmp_path, site), encoding="utf-8")
    checked = check_config(conf, tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr and "test is successful" in checked.stderr


def test_the_replicas_config_keeps_the_single_server_rules():
    """Upload limit, forwarded headers and the sign-in's outer brake, as in deploy/nginx.conf."""
    server = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))["server"]
    conf = (ROOT / "deploy" / "nginx-replicas.conf").read_text(encoding="utf-8")
    assert re.search(rf"^\s*client_max_body_size {server['maxUploadSize']}m;", conf, re.M)
    for line in ("X-Forwarded-For $remote_addr", "X-Forwarded-Proto $scheme", "Upgrade $http_upgrade"):
        assert f"proxy_set_header {line};" in conf
    assert re.search(r"location = /auth/sign-in \{\s*limit_req zone=icsat_sign_in", conf)
    assert "sticky" not in re.sub(r"#.*", "", conf)  # nginx Plus only
    # proxy_set_header / add_header in a location would silently drop the server-level ones there
    for block in re.findall(r"location [^{]*\{[^}]*\}", conf):
        assert "proxy_set_header" not in block and "add_header" not in block, block


class _Upstream:
    """A tiny HTTP server that answers its own name and the request headers it got."""

    def __init__(self, name: str) -> None:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.headers.get("Upgrade") == "websocket":  # a tunnel: echo bytes, prefixed with the name
                    self.send_response(101)
                    self.send_header("Upgrade", "websocket")
                    self.send_header("Connection", "Upgrade")
                    self.end_headers()
                    self.wfile.flush()
                    data = self.rfile.read1(100)
                    self.wfile.write(name.encode() + b":" + data)
                    self.wfile.flush()
                    self.close_connection = True
                    return
                body = json.dumps({"name": name, "headers": dict(self.headers)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.name = name
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.thread.is_alive():
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(10)


def _get(url: str, cookie: str | None = None, headers: dict | None = None):
    """(name of the upstream that answered, the route cookie nginx set or None, headers it got)."""
    import json
    import urllib.request

    request = urllib.request.Request(url, headers={**({"Cookie": cookie} if cookie else {}), **(headers or {})})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = json.loads(response.read())
        set_cookies = response.headers.get_all("Set-Cookie") or []
    routes = [c for c in set_cookies if c.startswith("icsat_route=")]
    assert len(routes) <= 1, set_cookies
    return body["name"], (routes[0] if routes else None), body["headers"]


def test_the_route_cookie_keeps_a_browser_on_one_replica_and_moves_it_when_that_one_stops():
    from tests.nginx import TemporaryNginx

    upstreams = {name: _Upstream(name) for name in ("first", "second")}
    nginx = None
    try:
        nginx = TemporaryNginx([u.port for u in upstreams.values()])
        # A browser without the cookie gets one (HttpOnly, whole site, sent on top-level navigation)...
        name, set_cookie, _ = _get(f"{nginx.url}/overview")
        assert set_cookie is not None and re.fullmatch(
            r"icsat_route=[0-9a-f]{32}; Path=/; HttpOnly; SameSite=Lax", set_cookie
        ), set_cookie
        cookie = set_cookie.split(";")[0]
        # ...and, keeping it, lands on the same replica every time (and is not given another one).
        for path in ("/overview", "/hotspots", "/_stcore/health", "/static/app.js") * 5:
            again, again_cookie, _ = _get(f"{nginx.url}{path}", cookie)
            assert (again, again_cookie) == (name, None)
        # Browsers without a cookie are spread over both replicas (random routes; 40 all alike: 2^-39).
        assert {_get(f"{nginx.url}/")[0] for _ in range(40)} == {"first", "second"}
        # What the replica gets: the browser's Host, the forwarded address; no upgrade unless asked
        # (the websocket's own test is below).
        _, _, seen = _get(f"{nginx.url}/overview", cookie)
        assert seen["Host"] == f"127.0.0.1:{nginx.port}"  # the sign-in's same-origin check needs the port
        assert seen["X-Forwarded-For"] == "127.0.0.1" and seen["X-Forwarded-Proto"] == "http"
        assert "Upgrade" not in seen and seen["Connection"] == "close"

        # That replica stops: the same browser, same cookie, gets the other one at once, every time.
        upstreams[name].stop()
        other = "second" if name == "first" else "first"
        for _ in range(10):
            moved, moved_cookie, _ = _get(f"{nginx.url}/overview", cookie)
            assert (moved, moved_cookie) == (other, None)
        assert "temporarily disabled" in nginx.error_log() or "Connection refused" in nginx.error_log()
    finally:
        if nginx is not None:
            nginx.stop()
        for upstream in upstreams.values():
            upstream.stop()


def test_the_streamlit_websocket_is_tunnelled_to_the_browser_s_replica():
    """An Upgrade on /_stcore/stream gets the replica's 101 and a two-way byte stream through nginx."""
    import socket

    from tests.nginx import TemporaryNginx

    upstreams = {name: _Upstream(name) for name in ("first", "second")}
    nginx = None
    try:
        nginx = TemporaryNginx([u.port for u in upstreams.values()])
        name, set_cookie, _ = _get(f"{nginx.url}/")
        cookie = set_cookie.split(";")[0]
        with socket.create_connection(("127.0.0.1", nginx.port), timeout=10) as s:
            s.sendall(
                f"GET /_stcore/stream HTTP/1.1\r\nHost: 127.0.0.1:{nginx.port}\r\nCookie: {cookie}\r\n".encode()
                + b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                + b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
            )
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = s.recv(1024)
                assert chunk, head
                head += chunk
            assert head.startswith(b"HTTP/1.1 101 "), head
            s.sendall(b"hello")
            echoed = b""
            while not echoed.endswith(b"hello"):
                chunk = s.recv(1024)
                assert chunk, echoed
                echoed += chunk
        assert echoed == f"{name}:hello".encode()  # the same replica as the browser's pages
    finally:
        if nginx is not None:
            nginx.stop()
        for upstream in upstreams.values():
            upstream.stop()


def test_the_replicas_proxy_refuses_an_upload_over_the_limit_before_any_replica_sees_it():
    import socket

    from tests.nginx import TemporaryNginx

    upstream = _Upstream("only")
    nginx = None
    try:
        nginx = TemporaryNginx([upstream.port])
        with socket.create_connection(("127.0.0.1", nginx.port), timeout=10) as s:
            s.sendall(
                b"PUT /_stcore/upload_file/x/y HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + f"Content-Length: {25 * 1024 * 1024 + 1}\r\n\r\n".encode()
            )
            status = s.recv(200).split(b"\r\n")[0]
        assert status == b"HTTP/1.1 413 Request Entity Too Large"
    finally:
        if nginx is not None:
            nginx.stop()
        upstream.stop()


def test_the_replica_unit_runs_one_unprivileged_app_per_port_on_the_shared_settings():
    import configparser

    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(ROOT / "deploy" / "icsat@.service", encoding="utf-8")
    service = unit["Service"]
    assert service["User"] not in ("", "root")
    assert service["EnvironmentFile"] == "/etc/icsat/icsat.env"  # ICSAT_DB=postgresql://... for all
    assert service["Restart"] == "always"
    start = service["ExecStart"]
    assert "streamlit run app.py" in start
    assert "--server.port %i" in start and "--server.headless true" in start
    assert "--server.address 127.0.0.1" in start  # only nginx reaches the replicas
