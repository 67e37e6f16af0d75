#!/usr/bin/env python3
"""Build and serve the production configuration, then fetch it the way a browser would.

    .venv/bin/python scripts/check_production.py     (PostgreSQL on DATABASE_URL's server; REDIS_URL optional)

Steps: a throwaway PostgreSQL database (migrate, load_orgs, seed_demo), `collectstatic` with
kexie.settings.production into a temporary STATIC_ROOT, gunicorn with those settings on a free loopback port
and, when nginx is installed, nginx in front of it with scripts/nginx/kexie.conf and a certificate made for
the run, so TLS, the forwarded client address and static files go the way they go in docker-compose.
Without nginx gunicorn is fetched directly (HTTPS redirect off, the loopback trusted as the proxy).

Checks: the home page, the login page, signing in as a seeded administrator and a console page, a static file
the page links, /healthz; the status of each, the security headers (HSTS, CSP without inline script,
X-Frame-Options, Referrer-Policy, nosniff, Permissions-Policy) and the cookie flags (Secure, HttpOnly for the
session, SameSite). Behind nginx also: plain HTTP moves to HTTPS, and a failed login sent with a forged
X-Forwarded-For is recorded with the real peer address. Exits 1 with every failed check listed; stops and
removes everything it started in any case.
"""

import datetime
import http.client
import http.cookies
import ipaddress
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
from base64 import urlsafe_b64encode
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
NGINX_DIR = ROOT / "scripts" / "nginx"
ADMIN, PASSWORD = "province_admin", "Kexie-demo-2026"
FORGED_ADDRESS = "203.0.113.77"


class CheckFailed(Exception):
    pass


def log(message: str) -> None:
    print(f"[check_production] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CheckFailed(f"{name} exited with status {process.returncode} before it listened on {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.3)
    raise CheckFailed(f"{name} did not listen on port {port} within {timeout:.0f} s")


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, valid for one day (cryptography is a project requirement)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def nginx_config(work: Path, *, web_port: int, http_port: int, https_port: int, cert: Path, key: Path) -> Path:
    """scripts/nginx/kexie.conf with the compose-only values (service name, ports, paths) put on this machine."""
    site = (NGINX_DIR / "kexie.conf").read_text()
    replacements = {
        "server web:8000;": f"server 127.0.0.1:{web_port};",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
        "/etc/nginx/tls/fullchain.pem": str(cert),
        "/etc/nginx/tls/privkey.pem": str(key),
        "root /srv;": f"root {work};",
        "/etc/nginx/kexie/": f"{NGINX_DIR}/",
    }
    for old, new in replacements.items():
        if old not in site:
            raise CheckFailed(f"scripts/nginx/kexie.conf no longer contains {old!r}; update check_production.py")
        site = site.replace(old, new)
    (work / "kexie.conf").write_text(site)
    main = work / "nginx.conf"
    temp = work / "nginx-temp"
    temp.mkdir()
    main.write_text(
        f"""
worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {work}/nginx-access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {work}/kexie.conf;
}}
"""
    )
    return main


class Browser:
    """Just enough of a browser: one origin, its cookies and the Set-Cookie headers as sent."""

    def __init__(self, port: int, *, tls_context: ssl.SSLContext | None, extra_headers: dict | None = None):
        self.port, self.tls_context = port, tls_context
        # Without TLS the client stands in for the proxy and declares HTTPS, so its pages refer to https://.
        self.scheme = "https" if tls_context or (extra_headers or {}).get("X-Forwarded-Proto") == "https" else "http"
        self.extra_headers = extra_headers or {}
        self.cookies: dict[str, str] = {}
        self.set_cookies: dict[str, http.cookies.Morsel] = {}

    @property
    def origin(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, *, form: dict | None = None, headers: dict | None = None):
        if self.tls_context:
            connection = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.tls_context, timeout=30)
        else:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        all_headers = {"Host": f"127.0.0.1:{self.port}", **self.extra_headers, **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
            all_headers["Referer"] = f"{self.origin}{path}"
        try:
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            parsed = http.cookies.SimpleCookie()
            parsed.load(header)
            for name, morsel in parsed.items():
                self.set_cookies[name] = morsel
                self.cookies[name] = morsel.value
        return response, content.decode("utf-8", "replace")


def enrol_with_authenticator(browser: "Browser", checks: "Checks") -> None:
    """Do what an authenticator app does: read the secret from the enrolment page, answer with its code."""
    from base64 import b32decode

    from django_otp.oath import TOTP

    response, body = browser.request("GET", "/console/two-factor/setup/")
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', body)
    checks.expect(response.status == 200 and secret is not None, f"the enrolment page shows the secret ({response.status})")
    if secret is None:
        return
    value = secret.group(1).replace(" ", "")
    token = TOTP(b32decode(value + "=" * (-len(value) % 8))).token()
    response, body = browser.request(
        "POST", "/console/two-factor/setup/",
        form={"token": f"{token:06d}", "csrfmiddlewaretoken": browser.cookies.get("csrftoken", "")},
    )
    checks.expect(response.status == 200 and "recovery-codes" in body, f"enrolment shows recovery codes ({response.status})")


class Checks:
    def __init__(self):
        self.failures: list[str] = []
        self.passed = 0

    def expect(self, condition: bool, what: str) -> None:
        if condition:
            self.passed += 1
        else:
            self.failures.append(what)
            log(f"FAIL: {what}")

    def security_headers(self, response, what: str, *, expect_hsts: bool) -> None:
        h = response.headers
        if expect_hsts:
            hsts = h.get("Strict-Transport-Security", "")
            self.expect("max-age=" in hsts and "includeSubDomains" in hsts, f"{what}: HSTS header ({hsts!r})")
        csp = h.get("Content-Security-Policy", "")
        script_src = re.search(r"script-src ([^;]*)", csp)
        self.expect(
            bool(script_src) and "'unsafe-inline'" not in csp and "'self'" in script_src.group(1),
            f"{what}: Content-Security-Policy with script-src 'self' and no 'unsafe-inline' ({csp!r})",
        )
        self.expect("frame-ancestors 'none'" in csp, f"{what}: CSP frame-ancestors 'none'")
        self.expect(h.get("X-Frame-Options") == "DENY", f"{what}: X-Frame-Options DENY ({h.get('X-Frame-Options')!r})")
        self.expect(h.get("Referrer-Policy") == "same-origin", f"{what}: Referrer-Policy ({h.get('Referrer-Policy')!r})")
        self.expect(h.get("X-Content-Type-Options") == "nosniff", f"{what}: X-Content-Type-Options nosniff")
        self.expect("camera=()" in h.get("Permissions-Policy", ""), f"{what}: Permissions-Policy denies the camera")

    def cookie(self, browser: Browser, name: str, *, httponly: bool) -> None:
        morsel = browser.set_cookies.get(name)
        self.expect(morsel is not None, f"cookie {name} is set")
        if morsel is None:
            return
        self.expect(bool(morsel["secure"]), f"cookie {name} is Secure")
        self.expect(morsel["samesite"].lower() in {"lax", "strict"}, f"cookie {name} is SameSite=Lax or Strict")
        if httponly:
            self.expect(bool(morsel["httponly"]), f"cookie {name} is HttpOnly")


def run(command: list, env: dict, what: str) -> None:
    log(what)
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise CheckFailed(f"{what} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


def main() -> int:
    import psycopg2

    server_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parts = urllib.parse.urlsplit(server_url)
    database = f"kexie_prodcheck_{os.getpid()}"
    database_url = urllib.parse.urlunsplit(parts._replace(path=f"/{database}"))
    admin_dsn = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    use_nginx = shutil.which("nginx") is not None and os.environ.get("KEXIE_CHECK_WITHOUT_NGINX") != "1"

    work = Path(tempfile.mkdtemp(prefix="kexie-prodcheck-"))
    # nginx's workers (user nobody) read the static files from here.
    work.chmod(0o755)
    processes: list[tuple[str, subprocess.Popen]] = []
    created_database = False
    checks = Checks()
    try:
        connection = psycopg2.connect(admin_dsn)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{database}"')
        connection.close()
        created_database = True

        web_port, http_port, https_port = free_port(), free_port(), free_port()
        public_port = https_port if use_nginx else web_port
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "kexie.settings.production",
            "DATABASE_URL": database_url,
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "ID_NUMBER_ENCRYPTION_KEYS": urlsafe_b64encode(os.urandom(32)).decode(),
            "ID_NUMBER_INDEX_KEY": secrets.token_urlsafe(32),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_STATIC_ROOT": str(work / "static"),
            "DJANGO_MEDIA_ROOT": str(work / "media"),
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "PYTHONUNBUFFERED": "1",
            # nginx on the loopback is the proxy; without nginx this client stands in for it.
            "KEXIE_TRUSTED_PROXIES": "127.0.0.1",
            # nginx passes Host without the port; in production the port is 443 and this is not needed.
            "DJANGO_CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{public_port}",
        }
        if not use_nginx:
            # TLS redirect off for this loopback test only: there is nothing in front to speak TLS.
            env["DJANGO_SECURE_SSL_REDIRECT"] = "false"

        run([str(PYTHON), "manage.py", "migrate", "--noinput"], env, f"migrate into {database}")
        run([str(PYTHON), "manage.py", "load_orgs"], env, "load_orgs")
        run([str(PYTHON), "manage.py", "seed_demo"], env, "seed_demo")
        run([str(PYTHON), "manage.py", "collectstatic", "--noinput"], env, "collectstatic with production settings")
        checks.expect((work / "static" / "staticfiles.json").exists(), "collectstatic wrote the static manifest")

        log(f"starting gunicorn on 127.0.0.1:{web_port}")
        gunicorn = subprocess.Popen(
            [str(GUNICORN), "kexie.wsgi:application", "--bind", f"127.0.0.1:{web_port}", "--workers", "2",
             "--threads", "2", "--timeout", "60", "--access-logfile", str(work / "gunicorn-access.log"),
             "--error-logfile", str(work / "gunicorn-error.log")],
            cwd=ROOT, env=env, start_new_session=True,
        )
        processes.append(("gunicorn", gunicorn))
        wait_for_port(web_port, gunicorn, "gunicorn")

        if use_nginx:
            cert, key = make_certificate(work)
            config = nginx_config(work, web_port=web_port, http_port=http_port, https_port=https_port, cert=cert, key=key)
            result = subprocess.run(["nginx", "-t", "-c", str(config)], capture_output=True, text=True)
            checks.expect(result.returncode == 0, f"nginx -t accepts scripts/nginx/kexie.conf:\n{result.stderr}")
            if result.returncode != 0:
                raise CheckFailed("nginx refused the configuration")
            log(f"starting nginx on 127.0.0.1:{https_port} (HTTPS) and :{http_port} (HTTP)")
            nginx = subprocess.Popen(["nginx", "-c", str(config)], start_new_session=True)
            processes.append(("nginx", nginx))
            wait_for_port(https_port, nginx, "nginx")
            browser = Browser(https_port, tls_context=ssl.create_default_context(cafile=str(cert)))
        else:
            log("no nginx (not installed or KEXIE_CHECK_WITHOUT_NGINX=1): fetching gunicorn directly")
            browser = Browser(web_port, tls_context=None, extra_headers={"X-Forwarded-Proto": "https"})

        # Home page: 200 with every security header.
        response, body = browser.request("GET", "/")
        checks.expect(response.status == 200, f"home page answers 200 (got {response.status})")
        checks.security_headers(response, "home page", expect_hsts=True)

        # Login page: the CSRF cookie comes with the form.
        response, body = browser.request("GET", "/accounts/login/")
        checks.expect(response.status == 200, f"login page answers 200 (got {response.status})")
        checks.security_headers(response, "login page", expect_hsts=True)
        checks.cookie(browser, "csrftoken", httponly=False)

        if use_nginx:
            # A failed login with a forged X-Forwarded-For: the lockout must record the real peer (the loopback).
            response, _ = browser.request(
                "POST", "/accounts/login/",
                form={"username": "county_admin", "password": "not-the-password",
                      "csrfmiddlewaretoken": browser.cookies.get("csrftoken", "")},
                headers={"X-Forwarded-For": FORGED_ADDRESS},
            )
            checks.expect(response.status == 200, f"failed login re-renders the form (got {response.status})")
            connection = psycopg2.connect(database_url)
            with connection.cursor() as cursor:
                cursor.execute("SELECT ip_address FROM axes_accessattempt WHERE username = %s", ["county_admin"])
                addresses = [row[0] for row in cursor.fetchall()]
            connection.close()
            checks.expect(
                addresses == ["127.0.0.1"],
                f"the failed login is keyed on the peer nginx saw, not the forged header (recorded {addresses})",
            )

        # Sign in as a seeded administrator.
        response, _ = browser.request(
            "POST", "/accounts/login/",
            form={"username": ADMIN, "password": PASSWORD, "csrfmiddlewaretoken": browser.cookies.get("csrftoken", "")},
        )
        checks.expect(response.status == 302, f"signing in as {ADMIN} redirects (got {response.status})")
        checks.cookie(browser, "sessionid", httponly=True)

        # The second factor: no console page before the administrator has enrolled an authenticator.
        response, _ = browser.request("GET", "/console/dashboard/")
        location = response.headers.get("Location", "")
        checks.expect(
            response.status == 302 and location.startswith("/console/two-factor/setup/"),
            f"a console page needs the second factor first (got {response.status} to {location!r})",
        )
        enrol_with_authenticator(browser, checks)

        # A console page, then a static file it links.
        response, body = browser.request("GET", "/console/dashboard/")
        checks.expect(response.status == 200, f"console dashboard answers 200 (got {response.status})")
        checks.security_headers(response, "console dashboard", expect_hsts=True)
        checks.expect("发展进度" in body or "发展" in body, "console dashboard shows the progress page")
        scripts = re.findall(r'<script src="([^"]+)"', body)
        checks.expect(any("chart.umd.min" in s for s in scripts), f"dashboard links the vendored chart code ({scripts})")
        stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', body)
        checks.expect(bool(stylesheet) and re.search(r"\.[0-9a-f]{12}\.css$", stylesheet.group(1)) is not None,
                      "pages link the hashed stylesheet from the manifest")
        for asset in ([stylesheet.group(1)] if stylesheet else []) + scripts:
            response, content = browser.request("GET", asset)
            checks.expect(response.status == 200 and len(content) > 100, f"static file {asset} answers 200")
            checks.expect(response.headers.get("X-Content-Type-Options") == "nosniff", f"{asset}: nosniff")
            if use_nginx:
                checks.expect("Strict-Transport-Security" in response.headers, f"{asset}: HSTS from nginx")

        response, body = browser.request("GET", "/healthz")
        checks.expect(response.status == 200, f"/healthz answers 200 (got {response.status}: {body[:200]})")
        checks.expect(json.loads(body or "{}").get("pages") == "ok", f"/healthz renders a page ({body[:200]})")

        if use_nginx:
            plain = Browser(http_port, tls_context=None)
            response, _ = plain.request("GET", "/accounts/login/")
            location = response.headers.get("Location", "")
            checks.expect(response.status == 301 and location.startswith("https://"),
                          f"plain HTTP moves to HTTPS (got {response.status} {location!r})")
            response, _ = plain.request("GET", "/readyz")
            checks.expect(response.status == 200, f"/readyz answers over plain HTTP for probes (got {response.status})")
    except CheckFailed as error:
        checks.failures.append(str(error))
        log(f"FAIL: {error}")
    finally:
        for name, process in reversed(processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            log(f"stopped {name}")
        if checks.failures:
            for name in ("gunicorn-error.log", "nginx-error.log"):
                path = work / name
                if path.exists():
                    log(f"--- {name} (tail) ---\n{path.read_text()[-4000:]}")
        if created_database:
            connection = psycopg2.connect(admin_dsn)
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            connection.close()
            log(f"dropped {database}")
        shutil.rmtree(work, ignore_errors=True)

    mode = "behind nginx" if use_nginx else "gunicorn directly"
    if checks.failures:
        log(f"{len(checks.failures)} check(s) failed ({mode}):")
        for failure in checks.failures:
            print(f"  - {failure}", file=sys.stderr)
        return 1
    log(f"production build OK ({mode}): {checks.passed} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
