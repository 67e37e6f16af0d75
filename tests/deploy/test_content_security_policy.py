"""The CSP allows no inline script or style, so no template may carry any: every script is a static file."""

import re
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"
TEMPLATE_FILES = sorted(TEMPLATES.rglob("*.html"))

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE = re.compile(r"\sstyle\s*=|<style\b", re.I)


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_inline_script_event_handler_or_style(path):
    text = path.read_text()
    for attributes in SCRIPT_TAG.findall(text):
        assert "src=" in attributes or 'type="application/json"' in attributes, f"inline <script{attributes}>"
    assert not EVENT_HANDLER.search(text), "inline event handler (onclick=…): use a static/js file"
    assert not STYLE.search(text), "inline style: use static/css"


def test_the_policy_itself_forbids_inline_code():
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
    assert "'unsafe-inline'" not in str(directives) and "'unsafe-eval'" not in str(directives)


@pytest.mark.django_db
def test_only_django_admin_pages_allow_style_attributes(client, make_user):
    """django-mptt's admin indents with style attributes; nothing else relaxes the policy."""
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    admin_policy = client.get("/admin/orgs/org/")["Content-Security-Policy"]
    assert "style-src-attr 'unsafe-inline'" in admin_policy and "script-src 'self';" in admin_policy
    site_policy = client.get("/console/orgs/")["Content-Security-Policy"]
    assert "style-src-attr" not in site_policy and "unsafe-inline" not in site_policy
