"""docker-compose puts nginx in front of gunicorn and Django trusts exactly that proxy; the nginx files are valid."""

import ipaddress
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
NGINX = ROOT / "scripts" / "nginx"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_only_the_proxy_publishes_ports(compose):
    services = compose["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy"}
    assert sorted(services["proxy"]["ports"]) == ["443:443", "80:80"]


def test_django_trusts_exactly_the_proxy_address(compose):
    services = compose["services"]
    proxy_address = services["proxy"]["networks"]["backend"]["ipv4_address"]
    subnet = compose["networks"]["backend"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(proxy_address) in ipaddress.ip_network(subnet)
    for name in ("web", "worker", "beat"):
        assert services[name]["environment"]["KEXIE_TRUSTED_PROXIES"] == proxy_address, name
        assert "AXES_IPWARE_PROXY_COUNT" not in services[name]["environment"]


def test_the_web_health_check_is_the_deep_one(compose):
    web = compose["services"]["web"]
    assert "/healthz" in " ".join(web["healthcheck"]["test"])
    assert compose["services"]["proxy"]["depends_on"]["web"]["condition"] == "service_healthy"


def test_nginx_overwrites_the_forwarded_headers_instead_of_appending():
    params = (NGINX / "proxy_params.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in params
    assert "$proxy_add_x_forwarded_for" not in params
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in params


def test_nginx_serves_static_files_and_keeps_healthz_internal():
    site = (NGINX / "kexie.conf").read_text()
    assert "location /static/" in site and "root /srv;" in site
    healthz = site[site.index("location = /healthz"):]
    assert healthz.index("deny all;") < healthz.index("proxy_pass")


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx 未安装（CI 安装 nginx-light）")
def test_nginx_accepts_the_configuration(tmp_path):
    from scripts.check_production import make_certificate, nginx_config

    cert, key = make_certificate(tmp_path)
    config = nginx_config(tmp_path, web_port=8000, http_port=18080, https_port=18443, cert=cert, key=key)
    result = subprocess.run(["nginx", "-t", "-c", str(config)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx 未安装（CI 安装 nginx-light）")
def test_nginx_logs_secret_links_with_the_token_redacted(tmp_path):
    """The access log gets /rereg/[redacted]/ for the path and the referrer; the error log stays quiet for
    those links even when gunicorn does not answer."""
    import ssl
    import time
    import urllib.error
    import urllib.request

    from scripts.check_production import free_port, make_certificate, nginx_config

    cert, key = make_certificate(tmp_path)
    https_port = free_port()
    config = nginx_config(tmp_path, web_port=free_port(), http_port=free_port(), https_port=https_port, cert=cert, key=key)
    nginx = subprocess.Popen(["nginx", "-c", str(config)], start_new_session=True)
    try:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        for _ in range(50):
            try:
                request = urllib.request.Request(
                    f"https://127.0.0.1:{https_port}/rereg/SECRET-TOKEN-1/?a=1", headers={"Referer": "https://x/verify/SECRET-2/"}
                )
                urllib.request.urlopen(request, context=context, timeout=2)
            except urllib.error.HTTPError:
                break  # 502: nobody behind nginx, the request was logged
            except urllib.error.URLError:
                time.sleep(0.1)
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
    access = (tmp_path / "nginx-access.log").read_text()
    assert "GET /rereg/[redacted]/?a=1" in access and "/verify/[redacted]/" in access
    assert "SECRET" not in access
    assert "SECRET" not in (tmp_path / "nginx-error.log").read_text()
