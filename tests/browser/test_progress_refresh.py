"""The embedded default (`python3 scripts/run.py`: SQLite, no broker, runserver with its autoreloader) shows a
decision on the dashboard within seconds, with no command typed after it.

The server is a real `manage.py runserver` on a fresh SQLite file, prepared by the same commands as
scripts/run.py; a browser applies, a county administrator approves, and the dashboard is reloaded until the
approval is counted."""

import datetime as dt
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser.conftest import DESKTOP, login, screenshot

ROOT = Path(__file__).resolve().parent.parent.parent
DEMO_PASSWORD = "Kexie-demo-2026"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def embedded_server(tmp_path):
    """scripts/run.py's steps on a temporary SQLite file, then runserver as run.py starts it (autoreload on)."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "KEXIE_INPROCESS_SCHEDULER")}
    env.update(
        DJANGO_SETTINGS_MODULE="kexie.settings.local",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_MEDIA_ROOT=str(tmp_path / "media"),
        PYTHONUNBUFFERED="1",
        # As scripts/run.py sets it: the demo accounts sign in with a password alone.
        KEXIE_TWO_FACTOR_REQUIRED="0",
    )
    year = str(dt.date.today().year)
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (["migrate", "--noinput", "-v", "0"], ["load_orgs"], ["seed_demo"], ["seed_targets", "--year", year],
                    ["recompute_progress", "--year", year]):
        subprocess.run(manage + command, cwd=ROOT, env=env, check=True, capture_output=True)
    port = _free_port()
    log = open(tmp_path / "runserver.log", "wb")
    server = subprocess.Popen(manage + ["runserver", f"127.0.0.1:{port}"], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=2)
            break
        except OSError:
            time.sleep(0.3)
    else:
        pytest.fail("runserver did not start: " + (tmp_path / "runserver.log").read_text(errors="replace"))
    try:
        yield url, tmp_path / "db.sqlite3"
    finally:
        # The autoreloader and its child share the session this test started; end exactly that group.
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)
        log.close()


def _approved_on_dashboard(page) -> int:
    return int(page.locator('#summary dd[data-figure="approved"]').inner_text())


@pytest.mark.browser
def test_a_decision_reaches_the_dashboard_within_ten_seconds_without_a_command(embedded_server, new_page):
    url, database = embedded_server
    with sqlite3.connect(database) as db:
        county_id, county_name = db.execute(
            "SELECT o.id, o.name FROM orgs_org o JOIN orgs_org p ON o.parent_id = p.id "
            "WHERE p.name = '石家庄市科学技术协会' AND o.kind = 'kexie' ORDER BY o.code LIMIT 1"
        ).fetchone()
    live = type("Live", (), {"url": url})

    applicant = new_page(viewport=DESKTOP)
    login(applicant, live, "13800138000", DEMO_PASSWORD)
    applicant.goto(f"{url}/me/apply/{county_id}/")
    applicant.locator("#id_declaration").check()
    applicant.get_by_role("button", name="提交申请").click()
    applicant.wait_for_load_state("networkidle")

    admin = new_page(viewport=DESKTOP)
    login(admin, live, "county_admin", DEMO_PASSWORD)
    admin.goto(f"{url}/console/dashboard/?year={dt.date.today().year}")
    assert _approved_on_dashboard(admin) == 0
    assert "几秒内自动重算" in admin.locator("#computed-at").inner_text(), "the page states the real refresh behaviour"
    before = admin.locator("#computed-at").inner_text()

    admin.goto(f"{url}/console/review/")
    admin.get_by_role("link", name="陈科技").click()
    admin.get_by_label("批准", exact=True).check()
    admin.get_by_role("button", name="提交审核决定").click()
    admin.wait_for_load_state("networkidle")
    decided = time.monotonic()
    assert "已批准" in admin.content()

    counted = None
    while time.monotonic() - decided < 10:
        admin.goto(f"{url}/console/dashboard/?year={dt.date.today().year}")
        if _approved_on_dashboard(admin) == 1:
            counted = time.monotonic() - decided
            break
        time.sleep(0.5)
    assert counted is not None, "the approval did not reach the dashboard within 10 s"
    assert admin.locator('#summary dd[data-figure="new_members"]').inner_text() == "1"
    assert admin.locator("#computed-at").inner_text() != before, "the data time moved with the recount"
    assert county_name in admin.content()
    screenshot(admin, "dashboard-county-after-decision")
