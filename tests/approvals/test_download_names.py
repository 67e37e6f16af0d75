"""Every file the system hands out is named in Chinese after what it holds (RFC 5987 `filename*`), with an ASCII
stand-in for old clients, through the one helper in kexie/downloads.py."""

import re
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from approvals import services as approvals
from approvals.progress import progress_recompute_all
from members.services import census as census_services
from members.services.awards import award_save
from tests.conftest import login_via_form
from tests.members.conftest import census_row, csv_upload, png_bytes

pytestmark = pytest.mark.django_db


def _name(response) -> tuple[str, str]:
    header = response["Content-Disposition"]
    star = re.search(r"filename\*=UTF-8''([^;]+)", header)
    assert star, header
    return header.split(";")[0], unquote(star.group(1))


def test_every_download_carries_a_chinese_name(client, city_admin, county_a, make_applicant):
    year = timezone.localdate().year
    person = make_applicant("下载人")
    award = award_save(person=person, name="县科技进步奖", level="county", year=2023, issuer="井陉县人民政府",
                       evidence=SimpleUploadedFile("证书.png", png_bytes(), content_type="image/png"))
    application = approvals.application_submit(person=person, org=county_a, declaration_accepted=True)
    membership = approvals.application_approve(application=application, reviewer=city_admin)
    census = census_services.census_import_create(
        actor=city_admin, org=county_a, file=csv_upload([census_row(91_001, 身份证号="130102198001010000")])
    )
    census_services.census_validate(census_id=census.pk)
    progress_recompute_all(years=[year])
    assert login_via_form(client, "city_admin")

    today = timezone.localdate().strftime("%Y%m%d")
    city = county_a.parent
    expected = {
        f"/console/dashboard/export/?year={year}": ("attachment", f"{city.name}-{year}年度发展进度.xlsx"),
        "/console/members/export.xlsx": ("attachment", f"{city.name}-会员名册-{today}.xlsx"),
        "/console/review/export.csv": ("attachment", f"{city.name}-审核队列-{today}.csv"),
        f"/console/orgs/{county_a.pk}/report/{year}/xlsx/": ("attachment", f"{county_a.name}-{year}年报.xlsx"),
        f"/console/census/{census.pk}/errors/": ("attachment", f"{county_a.name}-普查错误报告-{census.pk}.xlsx"),
        f"/console/memberships/{membership.pk}/certificate.pdf": ("inline", f"会员证-下载人-{membership.number}.pdf"),
        f"/console/review/{application.pk}/awards/{award.pk}/evidence": ("attachment", "下载人-证明材料-县科技进步奖.png"),
    }
    for url, (kind, name) in expected.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert _name(response) == (kind, name), url

    own = client.__class__()
    assert login_via_form(own, person.user.username)
    for url, (kind, name) in {
        "/me/data/export.json": ("attachment", f"我的数据-{today}.json"),
        "/me/data/export.xlsx": ("attachment", f"我的数据-{today}.xlsx"),
        f"/me/awards/{award.pk}/evidence": ("attachment", "证明材料-县科技进步奖.png"),
        f"/me/certificates/{membership.pk}.pdf": ("inline", f"会员证-下载人-{membership.number}.pdf"),
    }.items():
        response = own.get(url)
        assert response.status_code == 200, url
        assert _name(response) == (kind, name), url
        assert re.search(r'filename="[A-Za-z0-9._-]+"', response["Content-Disposition"]), url
