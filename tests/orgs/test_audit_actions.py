"""Every action the system writes to the audit trail has a Chinese name, and pages show that name."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from members.models import FeePayment, Membership
from orgs.audit_actions import audit_action_label, audit_actions_named
from orgs.models import AuditEvent

APPS = ("orgs", "members", "approvals")
# `action="a.b"` or `action="a.b" if ... else "a.c"`: every dotted string after `action=` on its line.
ACTION_ARGUMENT = re.compile(r"\baction=(.*)$", re.MULTILINE)
DOTTED = re.compile(r'"([a-z_]+\.[a-z_]+)"')
TEMPLATED = re.compile(r'action=f"([a-z_]+)\.\{(\w+)\}"')
# The values the templated actions take: a fee payment's kind (members/services/fees.py), a membership's new
# status (members/services/memberships.py and renewals.py).
TEMPLATE_VALUES = {
    "fee": [k.value for k in FeePayment.Kind],
    "membership": [s.value for s in Membership.Status],
}


def _actions_written_by_the_code() -> set[str]:
    actions = set()
    for app in APPS:
        for source in (Path(settings.BASE_DIR) / app).rglob("*.py"):
            if "migrations" in source.parts:
                continue  # data migrations name actions already written, they write none
            text = source.read_text(encoding="utf-8")
            for argument in ACTION_ARGUMENT.findall(text):
                # The argument ends at its comma; what follows on the line is another argument.
                actions.update(DOTTED.findall(argument.split(",")[0]))
            for prefix, _ in TEMPLATED.findall(text):
                actions.update(f"{prefix}.{value}" for value in TEMPLATE_VALUES[prefix])
    return actions


def test_the_scan_finds_the_actions_of_every_app():
    actions = _actions_written_by_the_code()
    assert {"target.set", "admin_account.deactivate", "certificate.download", "membership.withdrawn", "fee.exempt",
            "application.reject", "export.queue", "person.update"} <= actions


def test_every_audit_action_in_the_code_has_a_chinese_name():
    named = audit_actions_named()
    unnamed = sorted(_actions_written_by_the_code() - set(named))
    assert not unnamed, f"audit actions without a name: {unnamed}"
    for action, label in named.items():
        assert re.search(r"[\u4e00-\u9fff]", str(label)) and "." not in str(label), (action, label)


def test_an_event_reads_by_its_label():
    assert AuditEvent(action="certificate.download").action_label == "下载会员证"
    assert audit_action_label("no.such_action") == "其他操作"


@pytest.mark.django_db
def test_the_member_page_shows_actions_by_name(client, city_admin, county_a, make_applicant):
    from approvals import services as approvals
    from tests.conftest import login_via_form

    membership = approvals.application_approve(
        application=approvals.application_submit(person=make_applicant("记录人"), org=county_a, declaration_accepted=True),
        reviewer=city_admin,
    )
    assert login_via_form(client, "city_admin")
    client.get(f"/console/memberships/{membership.pk}/certificate.pdf")
    body = client.get(f"/console/memberships/{membership.pk}/").content.decode()
    assert "下载会员证" in body and ">certificate.download<" not in body
