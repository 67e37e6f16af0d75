"""PostgreSQL restarted under requests: a real server process (gunicorn) on a throwaway cluster.

While the database is down every request answers 503 with an explanation (never the generic 500 page);
once it is back the same server answers again without a restart, and every decision that was pressed is
recorded exactly once: one membership, one number, one audit row per approved application, nothing half-written.
"""

import http.cookiejar
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.faults.throwaway import ThrowawayPostgres, free_port, postgres_binaries, wait_until

ROOT = Path(__file__).resolve().parents[2]
APPLICATIONS = 12

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(postgres_binaries() is None, reason="需要 PostgreSQL 服务器程序（initdb、pg_ctl）"),
]

SETUP = f"""
from pathlib import Path
from django.conf import settings
from approvals.services import application_submit
from members.services.consent import consent_give
from members.services.people import person_profile_save
from members.models import User
from orgs import permissions
from orgs.models import Org
from orgs.services.tree import orgs_load_csv
from tests.conftest import valid_id_number

orgs_load_csv(Path(settings.BASE_DIR) / "orgs" / "data" / "hebei_orgs.csv")
city = Org.objects.get(name="石家庄市科学技术协会")
county = Org.objects.filter(parent=city, kind=Org.Kind.KEXIE, level=Org.Level.COUNTY).order_by("code")[0]
admin = User(username="county_reviewer", full_name="审核人")
admin.set_password("Test-pass-2026")
admin.save()
permissions.grant_administer(admin, county)
for n in range(1, {APPLICATIONS} + 1):
    mobile = f"139{{n:08d}}"
    user = User(username=mobile, mobile=mobile, full_name=f"申请人{{n}}")
    user.set_password("Test-pass-2026")
    user.save()
    consent_give(user=user)
    person = person_profile_save(
        user=user, id_number=valid_id_number(n), name=f"申请人{{n}}", mobile=mobile, email="",
        employer="河北省某研究所", discipline="材料科学", education="bachelor", title="intermediate",
    )
    application_submit(person=person, org=county, declaration_accepted=True, explanation="测试")
"""

CHECK = """
import json
from approvals.models import Application
from members.models import Membership
from orgs.models import AuditEvent
apps = Application.objects.all()
print(json.dumps({
    "approved": apps.filter(status=Application.Status.APPROVED).count(),
    "memberships": Membership.objects.count(),
    "with_membership": Membership.objects.filter(application__isnull=False).values("application").distinct().count(),
    "numbers": sorted(int(n.rsplit("-", 1)[1]) for n in Membership.objects.values_list("number", flat=True)),
    "approve_audits": AuditEvent.objects.filter(action="application.approve").count(),
}))
"""


class Browser:
    """A cookie-keeping HTTP client that does not follow redirects (urllib, no extra dependency)."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), self._NoRedirect)

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = None
        if data is not None:
            token = next((c.value for c in self.jar if c.name == "csrftoken"), "")
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}).encode()
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=body), timeout=15) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()


def _manage(env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture
def cluster():
    pg = ThrowawayPostgres().init()
    pg.start()
    pg.createdb("kexie")
    yield pg
    pg.remove()


@pytest.fixture
def server(cluster, tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kexie.settings.test",
        "DATABASE_URL": cluster.url("kexie"),
        "REDIS_URL": "",
        "DJANGO_MEDIA_ROOT": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    _manage(env, "migrate", "--noinput")
    _manage(env, "shell", stdin=SETUP)
    port = free_port(range(8790, 8800))
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen(
        [str(gunicorn), "kexie.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1", "--threads", "4", "--timeout", "60"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "gunicorn.log", "w"),
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: _up(base), 30, message="gunicorn")
    yield base, env
    process.terminate()
    process.wait(20)


def _up(base: str) -> bool:
    try:
        return Browser(base).request("/accounts/login/")[0] == 200
    except OSError:
        return False


def test_decisions_during_a_postgres_restart_answer_503_then_succeed_and_are_recorded_once(cluster, server):
    base, env = server
    reviewer = Browser(base)
    reviewer.request("/accounts/login/")
    status, _ = reviewer.request("/accounts/login/", {"username": "county_reviewer", "password": "Test-pass-2026"})
    assert status == 302
    status, page = reviewer.request("/console/review/")
    assert status == 200
    ids = sorted({int(i) for i in re.findall(r"/console/review/(\d+)/", page)})
    assert len(ids) == APPLICATIONS

    restarted = threading.Event()

    def restart():
        cluster.stop("fast")
        time.sleep(3)
        cluster.start()
        restarted.set()

    statuses: dict[int, list[int]] = {i: [] for i in ids}
    outage_pages = []
    restarter = None
    for n, application_id in enumerate(ids):
        if n == 3:
            restarter = threading.Thread(target=restart)
            restarter.start()
            time.sleep(0.5)
        status, page = reviewer.request(
            f"/console/review/{application_id}/decide/", {"decision": "approve", "comment": "同意", "override_reason": "经集体研究同意"}
        )
        statuses[application_id].append(status)
        if status == 503:
            outage_pages.append(page)
            time.sleep(0.5)
    restarter.join(30)
    assert restarted.is_set()

    all_statuses = [s for seen in statuses.values() for s in seen]
    assert 500 not in all_statuses, statuses
    assert set(all_statuses) <= {302, 503}, statuses
    assert outage_pages, "no request reached the server while PostgreSQL was down"
    assert all("服务暂时不可用" in page and "没有完成" in page for page in outage_pages)

    # Back up: the same server process answers again, and the reviewer presses again where it failed.
    wait_until(lambda: reviewer.request("/console/review/")[0] == 200, 30, message="the console after the restart")
    for application_id, seen in statuses.items():
        if seen[-1] == 503:
            status, _ = reviewer.request(
                f"/console/review/{application_id}/decide/", {"decision": "approve", "comment": "同意", "override_reason": "经集体研究同意"}
            )
            assert status == 302

    import json

    facts = json.loads(_manage(env, "shell", stdin=CHECK).strip().splitlines()[-1])
    assert facts["approved"] == APPLICATIONS
    assert facts["memberships"] == APPLICATIONS == facts["with_membership"]
    assert facts["numbers"] == list(range(1, APPLICATIONS + 1)), "member numbers have a gap or a repeat"
    assert facts["approve_audits"] == APPLICATIONS
