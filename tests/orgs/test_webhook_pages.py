"""The console's webhook pages (/console/webhooks/): register an endpoint with its secret shown once, keep
what was typed when the form fails, list deliveries with their responses and redeliver after confirmation."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orgs.models import WebhookDelivery, WebhookEndpoint
from orgs.services.webhooks import webhook_endpoint_create

pytestmark = pytest.mark.django_db

LIST = "/console/webhooks/"


def test_registering_shows_the_secret_once_and_never_again(client, admin_a, county_a):
    client.force_login(admin_a)
    response = client.post(
        LIST,
        {"org": county_a.pk, "url": "https://hooks.example.org/kexie", "events": ["membership.created", "application.decided"], "description": "县会员系统"},
    )
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["application.decided", "membership.created"] and endpoint.description == "县会员系统"
    html = response.content.decode()
    secret = response.context["secret"]
    assert secret.startswith("whsec_") and secret in html and "只显示这一次" in html
    assert "no-store" in response["Cache-Control"]
    again = client.get(LIST).content.decode()
    assert secret not in again and "https://hooks.example.org/kexie" in again


def test_a_refused_url_keeps_everything_typed(client, settings, admin_a, county_a):
    settings.WEBHOOK_ALLOW_HTTP_LOOPBACK = False
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    client.force_login(admin_a)
    response = client.post(
        LIST, {"org": county_a.pk, "url": "http://hooks.example.org/kexie", "events": ["membership.changed"], "description": "县会员系统"}
    )
    html = response.content.decode()
    assert response.status_code == 200 and "只能使用 HTTPS 地址" in html
    assert 'value="http://hooks.example.org/kexie"' in html and 'value="县会员系统"' in html
    assert 'value="membership.changed" class="choices" id="id_events_3" checked' in html
    assert not WebhookEndpoint.objects.exists()


def test_an_org_outside_the_subtree_is_refused_and_staff_cannot_register(client, admin_a, staff, county_b):
    client.force_login(admin_a)
    response = client.post(LIST, {"org": county_b.pk, "url": "https://hooks.example.org/x", "events": ["membership.created"]})
    assert response.status_code == 200 and "所选组织不在您的管理范围内" in response.content.decode()
    assert county_b.name not in response.content.decode().split("新建推送端点")[1].split("推送端点")[0]
    client.force_login(staff)
    assert "新建推送端点" not in client.get(LIST).content.decode()
    assert client.post(LIST, {"org": county_b.pk, "url": "https://hooks.example.org/x", "events": ["membership.created"]}).status_code == 404
    assert not WebhookEndpoint.objects.exists()


def test_the_list_shows_only_the_own_subtree_in_constant_queries(
    client, admin_a, admin_b, city_admin, county_a, county_b, city, django_assert_max_num_queries
):
    def register(actor, org, n):
        webhook_endpoint_create(actor=actor, org=org, url=f"https://{org.code.lower()}-{n}.example.org/h", events=["membership.created"])

    for actor, org in ((admin_a, county_a), (admin_b, county_b), (city_admin, city)):
        register(actor, org, 0)
    client.force_login(admin_b)
    with CaptureQueriesContext(connection) as one_endpoint:
        client.get(LIST)
    for n in range(1, 6):
        register(admin_b, county_b, n)
    with django_assert_max_num_queries(len(one_endpoint.captured_queries)):
        html = client.get(LIST).content.decode()
    assert all(f"{county_b.code.lower()}-{n}.example.org" in html for n in range(6))
    assert f"{county_a.code.lower()}-0.example.org" not in html and f"{city.code.lower()}-0.example.org" not in html


def test_deliveries_are_listed_with_their_responses_and_redelivered_after_confirmation(client, admin_a, county_a, submit):
    endpoint, _secret = webhook_endpoint_create(
        actor=admin_a, org=county_a, url="https://hooks.example.org/kexie", events=["application.submitted"]
    )
    submit(county_a, "杨一")
    delivery = endpoint.deliveries.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.FAILED, attempts=27, response_status=503, response_body="维护中"
    )
    client.force_login(admin_a)
    html = client.get(reverse("orgs:webhook_detail", args=[endpoint.pk])).content.decode()
    assert "HTTP 503" in html and "维护中" in html and str(delivery.delivery_id) in html and "投递失败" in html
    assert 'data-confirm="将以新的投递编号再次推送此事件' in html
    assert 'data-confirm="停用后不再向此地址推送事件' in html

    response = client.post(reverse("orgs:webhook_redeliver", args=[delivery.pk]), follow=True)
    again = WebhookDelivery.objects.exclude(pk=delivery.pk).get()
    assert again.redelivery_of_id == delivery.pk
    assert f"已重新投递，投递编号 {again.delivery_id}" in response.content.decode()

    response = client.post(reverse("orgs:webhook_revoke", args=[endpoint.pk]), follow=True)
    assert "已停用该端点" in response.content.decode()
    assert "重新投递</button>" not in response.content.decode()
