"""The demo server `scripts/run.py` starts answers as visitors will see it: Chinese error pages, never Django's
debug pages, with the styles and the favicon served (whitenoise, DEBUG off)."""

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run_module():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        spec = importlib.util.spec_from_file_location("kexie_run_script", ROOT / "scripts" / "run.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "scripts"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read().decode("utf-8", "replace")


@pytest.fixture
def demo_server(tmp_path):
    port = _free_port()
    address = f"127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(_run_module().demo_environment(address))
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "runserver", address, "--noreload"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://{address}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_demo_runs_with_debug_off_unless_asked():
    env = _run_module().demo_environment("127.0.0.1:8000")
    assert env["DJANGO_DEBUG"] == "0" and env["DJANGO_SETTINGS_MODULE"] == "kexie.settings.local"
    assert env["KEXIE_SITE_URL"] == "http://127.0.0.1:8000"
    everywhere = _run_module().demo_environment("0.0.0.0:8000")
    assert everywhere["DJANGO_ALLOWED_HOSTS"] == "*" and "KEXIE_SITE_URL" not in everywhere


def test_the_demo_shows_the_chinese_404_page_and_serves_styles_and_favicon(demo_server):
    status, _, body = _get(f"{demo_server}/no-such-page/")
    assert status == 404
    assert "<h1>页面不存在</h1>" in body and "Page not found" not in body and "URLconf" not in body
    status, content_type, css = _get(f"{demo_server}/static/css/kexie.css")
    assert status == 200 and content_type.startswith("text/css") and ".error-summary" in css
    status, content_type, _ = _get(f"{demo_server}/static/favicon.svg")
    assert status == 200 and content_type.startswith("image/svg")
