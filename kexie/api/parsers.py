"""Request bodies of the REST API, checked as strictly as the pages' forms.

JSON can carry what an HTML form cannot: lone surrogates ("\\ud800" is valid JSON but no text), a list or an
object where one value belongs, a top-level array. The parser refuses the first and the last with 400; the
forms of the pages, reused by the API, get their data through `form_data`, which shapes a JSON object like
posted form fields, so every check of the pages applies unchanged.
"""

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def _has_lone_surrogate(value) -> bool:
    if isinstance(value, str):
        return any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


class StrictJSONParser(JSONParser):
    """DRF's JSON parser (NaN and Infinity already refused), plus: no nesting deep enough to exhaust the
    decoder, the body is one object, and its text is text."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:  # "[[[[…" nested deeper than Python's decoder goes
            raise ParseError(_("请求内容嵌套过深")) from None
        if not isinstance(data, dict):
            raise ParseError(_("请求内容应为一个 JSON 对象"))
        if _has_lone_surrogate(data):
            raise ParseError(_("请求内容含有无效的字符"))
        return data


def _field_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        raise ParseError(_("字段的值应为文字、数字或它们的列表"))
    return str(value)


def form_data(data) -> QueryDict:
    """A JSON object as posted form fields: scalars become text, a list of scalars becomes a repeated field,
    null leaves the field out. Form data (already a QueryDict) passes unchanged."""
    if isinstance(data, QueryDict):
        return data
    shaped = QueryDict(mutable=True)
    for key, value in data.items():
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        shaped.setlist(key, [_field_text(v) for v in values])
    shaped._mutable = False
    return shaped
