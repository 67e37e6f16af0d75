"""Every page answers 405 to a method it does not serve (decorators from django.views.decorators.http)."""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, PathConverter, SlugConverter, StringConverter, UUIDConverter

SAMPLE = {IntConverter: 1, StringConverter: "x", SlugConverter: "x", PathConverter: "x", UUIDConverter: uuid.UUID(int=1)}


def _project_urls(resolver=None, prefix=""):
    """(name, url) for every named pattern outside Django admin, with sample values for its parameters."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue  # Django's own views
            ns = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _project_urls(pattern, ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = f"{prefix}{pattern.name}"
            converters = pattern.pattern.converters
            kwargs = {key: SAMPLE[type(converter)] for key, converter in converters.items()}
            yield name, (reverse(name, kwargs=kwargs), _unserved_method(pattern.callback))


def _unserved_method(callback) -> str:
    """A method the view does not serve: PATCH for pages; for API views one their class does not implement."""
    actions = getattr(callback, "actions", None)  # a DRF viewset's method → action map
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    served = set(actions) if actions else {m for m in ("get", "post", "put", "patch", "delete") if cls and hasattr(cls, m)}
    return next(m.upper() for m in ("patch", "put", "delete", "post") if m not in served)


URLS = sorted(dict(_project_urls()).items())


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "target"), URLS, ids=[name for name, _ in URLS])
def test_an_unserved_method_answers_405(client, make_user, name, target):
    """A method the view does not serve is refused before any other work, signed in or not."""
    url, method = target
    responses = [client.generic(method, url).status_code]
    if responses[0] != 405:
        client.force_login(make_user("root", is_superuser=True, is_staff=True))
        responses.append(client.generic(method, url).status_code)
    assert 405 in responses, f"{name} ({url}) answered {responses} to {method}"
