"""The organisation filter of the review queue, the member directory and the audit records: a list for a scope small enough to
list, a box where a name is typed for a larger one (a national administrator sees about 10,000), and in both
an id outside the scope answered with 404."""

import re

import pytest
from django.urls import reverse

from orgs import forms as org_forms
from orgs.models import Org

QUEUE = "approvals:queue"
DIRECTORY = "console_members:member_list"
AUDIT = "orgs:audit_list"
PAGES = [QUEUE, DIRECTORY, AUDIT]


def _org_select(html: str) -> str:
    select = re.search(r'<select[^>]*id="id_org".*?</select>', html, re.S)
    assert select, "the organisation filter is a list"
    return select.group(0)


@pytest.fixture
def searched(monkeypatch):
    """Scopes above five organisations are searched by name, as a national administrator's is."""
    monkeypatch.setattr(org_forms, "ORG_CHOICES_LISTED", 5)


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", PAGES)
def test_a_small_scope_is_listed_in_tree_order_with_the_chosen_one_selected(client, city, county_a, city_admin, url_name):
    client.force_login(city_admin)
    html = client.get(reverse(url_name), {"org": county_a.pk, "subtree": "on"}).content.decode()
    expected = [str(pk) for pk in Org.objects.in_subtree(city).order_by("tree_id", "lft").values_list("pk", flat=True)]
    select = _org_select(html)
    assert re.findall(r'<option value="(\d*)"', select) == [""] + expected
    assert f'<option value="{county_a.pk}" selected>　　{county_a.name}</option>' in select
    assert select.count(" selected") == 1
    empty_label = "全部组织" if url_name == AUDIT else "本组织"
    assert f'<option value="" selected>{empty_label}</option>' in _org_select(client.get(reverse(url_name)).content.decode())


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", PAGES)
def test_a_large_scope_is_a_search_box_without_options(client, city, city_admin, searched, url_name):
    client.force_login(city_admin)
    html = client.get(reverse(url_name)).content.decode()
    box = re.search(r'<input type="search"[^>]*id="id_org"[^>]*>', html)
    assert box and 'name="org"' in box.group(0) and 'value=""' in box.group(0)
    assert 'id="id_org"' not in re.sub(r'<input type="search"[^>]*id="id_org"[^>]*>', "", html)
    assert not any(org.name in html for org in Org.objects.in_subtree(city).exclude(pk=city.pk))


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", PAGES)
def test_a_typed_name_chooses_the_organisation_and_shows_its_name(client, county_a, city_admin, searched, url_name):
    client.force_login(city_admin)
    response = client.get(reverse(url_name), {"org": county_a.name})
    assert response.status_code == 200
    assert response.context["form"].cleaned_data["org"] == county_a
    assert f'value="{county_a.name}"' in response.content.decode()
    # A chosen id (a link, the next page) shows the name too.
    by_id = client.get(reverse(url_name), {"org": county_a.pk}).content.decode()
    assert f'value="{county_a.name}"' in by_id


@pytest.mark.django_db
def test_part_of_a_name_that_one_organisation_has_chooses_it(client, county_a, city_admin, searched):
    client.force_login(city_admin)
    part = county_a.name.removeprefix("石家庄市").removesuffix("科学技术协会")
    assert Org.objects.filter(name__contains=part).count() == 1
    response = client.get(reverse(DIRECTORY), {"org": part})
    assert response.context["form"].cleaned_data["org"] == county_a


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", PAGES)
def test_a_name_several_contain_offers_them_as_links_inside_the_scope(client, city, city_admin, searched, url_name):
    client.force_login(city_admin)
    response = client.get(reverse(url_name), {"org": "科学技术协会", "subtree": "on", "page": "2"})
    html = response.content.decode()
    assert response.status_code == 200 and not response.context["form"].is_valid()
    in_scope = Org.objects.in_subtree(city).filter(name__contains="科学技术协会").order_by("tree_id", "lft")
    assert f"有 {in_scope.count()} 个组织的名称含“科学技术协会”" in html
    links = re.findall(r'<li><a href="\?([^"]*)">([^<]*)</a></li>', html)
    assert [name for _, name in links] == [o.name for o in in_scope[:10]]
    for query, _name in links:
        assert "subtree=on" in query and "page=" not in query  # the other filters stay; the page starts again
    picked = re.search(r"org=(\d+)", links[1][0]).group(1)
    assert client.get(f"{reverse(url_name)}?{links[1][0].replace('&amp;', '&')}").context["form"].cleaned_data["org"].pk == int(picked)


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", PAGES)
def test_a_name_outside_the_scope_is_not_found_like_a_name_that_does_not_exist(
    client, other_county, county_a, admin_a, monkeypatch, url_name
):
    monkeypatch.setattr(org_forms, "ORG_CHOICES_LISTED", 0)  # a county sees one organisation; search even that
    client.force_login(admin_a)
    for typed in (other_county.name, "不存在的组织"):
        response = client.get(reverse(url_name), {"org": typed})
        assert response.status_code == 200
        assert f"您的管理范围内没有名称含“{typed}”的组织" in response.content.decode()
        # What was typed stays in the box and is named in the message; nothing else tells that it exists.
        html = response.content.decode()
        assert f'value="{typed}"' in html
        assert typed not in html.replace(f"含“{typed}”", "").replace(f'value="{typed}"', "")
    assert client.get(reverse(url_name), {"org": county_a.name}).context["form"].cleaned_data["org"] == county_a


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", PAGES)
@pytest.mark.parametrize("listed", [True, False])
def test_an_id_outside_the_scope_is_404_whether_listed_or_searched(
    client, other_county, city_admin, monkeypatch, url_name, listed
):
    if not listed:
        monkeypatch.setattr(org_forms, "ORG_CHOICES_LISTED", 5)
    client.force_login(city_admin)
    for tampered in (other_county.pk, 10**40, "0"):
        assert client.get(reverse(url_name), {"org": tampered}).status_code == 404


@pytest.mark.django_db
def test_a_name_too_long_is_refused_with_the_limit(client, city_admin, searched):
    client.force_login(city_admin)
    response = client.get(reverse(QUEUE), {"org": "组" * 51})
    assert response.status_code == 200
    assert "组织名称不超过 50 个字" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", PAGES)
def test_choosing_a_listed_organisation_costs_no_query_beyond_listing_them(client, county_a, city_admin, url_name):
    """The id is checked against the list the page shows: no second read of the chosen organisation."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(city_admin)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse(url_name), {"org": county_a.pk}).status_code == 200
    by_id = [q["sql"] for q in queries if re.search(rf'"orgs_org"\."id" = {county_a.pk}\b', q["sql"])]
    assert by_id == []


@pytest.mark.django_db
def test_the_api_still_answers_an_unknown_organisation_with_404(city_admin, county_a, searched):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(city_admin)
    assert api.get("/api/v1/members/", {"org": "不存在的组织"}).status_code == 404
    assert api.get("/api/v1/members/", {"org": county_a.pk}).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("listed_limit", [300, 5])
def test_any_typed_text_is_a_form_error_or_an_organisation_inside_the_scope(city, listed_limit, monkeypatch):
    """Whatever arrives in the box (ids, huge numbers, SQL, wildcards, control characters, long text), the field
    either refuses it with one of its own messages or returns an organisation inside the scope."""
    from django.core.exceptions import ValidationError
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from members.forms.memberships import MemberDirectoryForm

    monkeypatch.setattr(org_forms, "ORG_CHOICES_LISTED", listed_limit)
    scope = Org.objects.in_subtree(city)
    inside = set(scope.values_list("pk", flat=True))
    outside = list(Org.objects.exclude(pk__in=inside).values_list("pk", flat=True)[:3])
    known = ["科学技术协会", "%", "_", "' OR 1=1 --", "\x00", "石家庄", "唐山市", "-1", "0", str(10**40), "１２"]
    typed = st.one_of(st.sampled_from(known + [str(pk) for pk in outside]), st.text(max_size=60),
                      st.integers(min_value=-(10**20), max_value=10**20).map(str))

    @settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(typed)
    def check(value):
        field = MemberDirectoryForm({"org": value}, orgs=scope).fields["org"]
        try:
            org = field.clean(value)
        except ValidationError as error:
            assert error.code in {"invalid_choice", "not_found", "ambiguous", "too_long", "null_characters"}
            return
        assert org is None or org.pk in inside

    check()


ACCOUNT = {"username": "jx_admin", "full_name": "井陉管理员", "mobile": "13800138001", "password": "Qwe-rty-7788"}


@pytest.mark.django_db
def test_an_administrator_account_is_created_for_an_organisation_typed_by_name(client, city_admin, county_a, searched):
    from django.contrib.auth import get_user_model

    from orgs.selectors.scope import orgs_managed_by

    client.force_login(city_admin)
    form_page = client.get(reverse("orgs:account_create"), {"org": county_a.pk}).content.decode()
    box = re.search(r'<input type="search"[^>]*id="id_org"[^>]*>', form_page).group(0)
    assert f'value="{county_a.name}"' in box and "required" in box  # a link's org id shows as the name
    response = client.post(reverse("orgs:account_create"), {**ACCOUNT, "org": county_a.name})
    assert response.status_code == 302
    account = get_user_model().objects.get(username="jx_admin")
    assert list(orgs_managed_by(account)) == list(Org.objects.in_subtree(county_a))


@pytest.mark.django_db
def test_an_account_form_with_a_name_several_contain_lists_them_and_keeps_the_rest(client, city_admin, searched):
    from django.contrib.auth import get_user_model

    client.force_login(city_admin)
    response = client.post(reverse("orgs:account_create"), {**ACCOUNT, "org": "井陉"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "有 2 个组织的名称含“井陉”" in html and "请在上面输入其中一个的完整名称" in html
    names = re.search(r'<ul class="org-candidates" id="id_org-candidates">(.*?)</ul>', html, re.S).group(1)
    assert re.findall(r"<li>([^<]*)</li>", names) == ["石家庄市井陉县科学技术协会", "石家庄市井陉矿区科学技术协会"]
    assert 'value="井陉"' in html and 'value="jx_admin"' in html
    assert not get_user_model().objects.filter(username="jx_admin").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("listed", [True, False])
def test_an_account_form_refuses_an_organisation_outside_or_missing(client, city_admin, other_county, monkeypatch, listed):
    from django.contrib.auth import get_user_model

    if not listed:
        monkeypatch.setattr(org_forms, "ORG_CHOICES_LISTED", 5)
    client.force_login(city_admin)
    for org, message in ((other_county.pk, "所选组织不在您的管理范围内"), ("", "这个字段是必填项")):
        response = client.post(reverse("orgs:account_create"), {**ACCOUNT, "org": org})
        assert response.status_code == 200 and message in response.content.decode()
    assert not get_user_model().objects.filter(username="jx_admin").exists()


@pytest.mark.django_db
def test_a_member_is_transferred_to_an_organisation_typed_by_name(client, city_admin, county_a, county_b, make_members, searched):
    from members.models import Membership

    member = make_members(county_a, 1)[0]
    client.force_login(city_admin)
    url = reverse("console_members:member_transfer", args=[member.pk])
    refused = client.post(url, {"target_org": "井陉", "comment": "工作调动"})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'id="transfer_target_org-candidates"' in html and 'value="工作调动"' in html
    member.refresh_from_db()
    assert member.status == Membership.Status.ACTIVE
    response = client.post(url, {"target_org": county_b.name, "comment": "工作调动"})
    assert response.status_code == 302
    assert Membership.objects.get(person=member.person, status=Membership.Status.ACTIVE).org == county_b


@pytest.mark.django_db
def test_a_webhook_is_registered_for_an_organisation_typed_by_name_and_its_list_has_no_empty_choice(
    client, city_admin, county_a, city, monkeypatch
):
    from orgs.models import WebhookEndpoint

    client.force_login(city_admin)
    select = _org_select(client.get(reverse("orgs:webhook_list")).content.decode())
    assert '<option value=""' not in select and select.index(city.name) < select.index(county_a.name)
    monkeypatch.setattr(org_forms, "ORG_CHOICES_LISTED", 5)
    data = {"url": "https://hooks.example.org/kexie", "events": [WebhookEndpoint.Event.APPLICATION_SUBMITTED]}
    assert client.post(reverse("orgs:webhook_list"), {**data, "org": ""}).status_code == 200
    assert not WebhookEndpoint.objects.exists()
    client.post(reverse("orgs:webhook_list"), {**data, "org": county_a.name})
    assert WebhookEndpoint.objects.get().org == county_a
