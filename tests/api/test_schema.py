"""The OpenAPI document is valid OpenAPI 3, documents every endpoint in Chinese, and is served with its
readers without any CDN."""

import re

import pytest
import yaml
from django.urls import reverse
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(client):
    response = client.get(reverse("api:schema"))
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_generated_document_validates_as_openapi_3(document):
    """openapi-spec-validator accepts the document drf-spectacular generates."""
    assert document["openapi"].startswith("3.")
    validate(document)


def test_every_operation_has_a_chinese_description_and_the_shared_error_body(document):
    """A developer with only the document knows what each endpoint does and how its errors look."""
    operations = [
        (path, method, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(operations) >= 35
    for path, method, op in operations:
        text = op.get("description", "")
        assert re.search(r"[\u4e00-\u9fff]", text), f"{method.upper()} {path} has no Chinese description"
        assert "404" in op["responses"], f"{method.upper()} {path} does not document the error body"
        assert op["responses"]["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")


def test_creating_posts_document_the_idempotency_key(document):
    applying = document["paths"]["/api/v1/me/applications/"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in applying["parameters"])


def test_both_token_kinds_are_documented_security_schemes(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerToken"]["scheme"] == "bearer"
    assert schemes["serviceToken"]["scheme"] == "bearer"


@pytest.mark.parametrize("name", ["api:docs", "api:redoc"])
def test_docs_pages_load_their_scripts_from_this_site(client, name):
    """Swagger UI and Redoc come from drf-spectacular-sidecar's static files, never a CDN."""
    response = client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r'src="([^"]+)"', html)
    assert scripts and all(src.startswith("/static/drf_spectacular_sidecar/") for src in scripts), scripts
    assert "cdn" not in html.lower()
