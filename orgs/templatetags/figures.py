"""Figures on pages: the label with its definition one click away, and the value formatted the same everywhere."""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from orgs.figures import BY_KEY, NOTES, TARGET_DEFINITIONS

register = template.Library()

_ENTRIES = {"figure": BY_KEY, "target": TARGET_DEFINITIONS, "note": {n.key: n for n in NOTES}}


def _help(kind: str, key: str) -> str:
    entry = _ENTRIES[kind][key]
    return format_html(
        '<a class="fig-help" href="{}#{}" title="{}" aria-label="{}">?</a>',
        reverse("progress:definitions"),
        entry.anchor,
        entry.definition,
        _("“%(label)s”的定义") % {"label": entry.label},
    )


def _labelled(kind: str, key: str) -> str:
    return format_html('<span class="figure-label">{}{}</span>', _ENTRIES[kind][key].label, _help(kind, key))


@register.simple_tag
def figure_label(key: str) -> str:
    """`收到申请?` where ? opens the figure's entry on the definitions page."""
    return _labelled("figure", key)


@register.simple_tag
def target_label(metric: str) -> str:
    return _labelled("target", metric)


@register.simple_tag
def note_label(key: str) -> str:
    return _labelled("note", key)


@register.simple_tag
def note_help(key: str) -> str:
    return _help("note", key)


@register.filter
def figure_format(value, key: str) -> str:
    """A figure's value with its unit where the number alone would mislead; "—" when it cannot be computed."""
    if value is None:
        return "—"
    unit = BY_KEY[key].unit
    if unit == "%":
        return f"{value}%"
    if unit == "天":
        return _("%(n)s 天") % {"n": value}
    return str(value)


@register.simple_tag
def figure_value(figures, key: str) -> str:
    return figure_format(figures[key], key)


@register.simple_tag
def label_text(kind: str, key: str) -> str:
    """The label alone, as plain text for an attribute (the column name a phone card shows beside a number)."""
    return str(_ENTRIES[kind][key].label)
