"""Evidence downloads and queue exports are scoped and audited; audit rows can never be changed."""

import csv
import io

import pytest
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.urls import reverse

from approvals.exports import neutralise
from members.crypto import decrypt_id_number
from members.models import Award
from orgs.models import AuditEvent


@pytest.fixture
def with_evidence(county_a, submit):
    application = submit(county_a, "有材料")
    award = Award.objects.create(person=application.person, name="市科技奖", level="city", year=2025)
    award.evidence.save("scan.pdf", ContentFile(b"%PDF-1.4 scan"), save=True)
    return application, award


@pytest.mark.django_db
def test_evidence_download_is_audited(client, city_admin, with_evidence):
    application, award = with_evidence
    client.force_login(city_admin)
    response = client.get(reverse("approvals:evidence_download", args=[application.pk, award.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 scan"
    assert "attachment" in response["Content-Disposition"]
    event = AuditEvent.objects.get(action="evidence.download")
    assert event.actor == city_admin and event.object_id == str(award.pk) and event.data["application"] == application.pk


@pytest.mark.django_db
def test_evidence_of_another_persons_award_through_this_application_is_404(client, admin_a, admin_b, county_a, county_b, with_evidence, submit):
    application, award = with_evidence
    other = submit(county_a, "别人")
    client.force_login(admin_a)
    assert client.get(reverse("approvals:evidence_download", args=[other.pk, award.pk])).status_code == 404
    client.force_login(admin_b)
    assert client.get(reverse("approvals:evidence_download", args=[application.pk, award.pk])).status_code == 404
    assert not AuditEvent.objects.filter(action="evidence.download").exists()


@pytest.mark.django_db
def test_export_is_scoped_masked_formula_safe_and_audited(client, admin_a, county_a, county_b, submit):
    dangerous = submit(county_a, "=HYPERLINK(\"http://x\")")
    submit(county_a, "普通人")
    submit(county_b, "邻县人")
    client.force_login(admin_a)
    response = client.get(reverse("approvals:queue_export"), {"status": "submitted"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["申请编号", "姓名", "身份证号"]
    names = {r[1] for r in rows[1:]}
    assert names == {"'=HYPERLINK(\"http://x\")", "普通人"}
    full_id = decrypt_id_number(dangerous.person.id_number_encrypted)
    assert full_id not in text and dangerous.person.id_number_masked in text
    event = AuditEvent.objects.get(action="export.queue")
    assert event.actor == admin_a and event.data["rows"] == 2 and event.org == county_a


@pytest.mark.parametrize("value", ["=1+1", "+86", "-2", "@SUM(A1)", "\tx"])
def test_formula_looking_cells_are_neutralised(value):
    assert neutralise(value).startswith("'")


def test_plain_cells_are_untouched():
    assert neutralise("张三") == "张三" and neutralise(None) == "" and neutralise(17) == "17"


@pytest.mark.django_db
def test_every_console_decision_leaves_an_audit_row_with_ip(client, admin_a, county_a, submit):
    application = submit(county_a, "记IP")
    client.force_login(admin_a)
    client.post(reverse("approvals:decide", args=[application.pk]), {"decision": "approve"}, REMOTE_ADDR="10.1.2.3")
    event = AuditEvent.objects.for_object(application).get(action="application.approve")
    assert event.ip == "10.1.2.3"
    history = client.get(reverse("approvals:detail", args=[application.pk])).context["history"]
    assert [e.action for e in history] == ["application.submit", "application.approve"]


@pytest.mark.django_db
def test_audit_rows_cannot_be_edited_or_deleted_through_the_orm(admin_a, county_a, submit):
    event = AuditEvent.objects.for_object(submit(county_a, "不可改")).get()
    with pytest.raises(AuditEvent.Immutable):
        AuditEvent.objects.filter(pk=event.pk).update(comment="改")
    with pytest.raises(AuditEvent.Immutable):
        event.delete()


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_refuses_raw_update_and_delete_of_audit_rows(admin_a, county_a, submit):
    event = AuditEvent.objects.for_object(submit(county_a, "触发器")).get()
    for sql in ("UPDATE orgs_auditevent SET comment = 'x' WHERE id = %s", "DELETE FROM orgs_auditevent WHERE id = %s"):
        with pytest.raises(Exception, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).comment == ""
