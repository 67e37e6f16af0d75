"""Figures on pages: the label with its definition one click away, and the value formatted the same everywhere."""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from orgs.figures import BY_KEY, NOTES, TARGET_DEFINITIONS

register = template.Library()

_NOTES = {n.key: n for n in NOTES}


def _help(anchor: str, label: str, definition: str) -> str:
    return format_html(
        '<a class="fig-help" href="{}#{}" title="{}" aria-label="{}">?</a>',
        reverse("progress:definitions"),
        anchor,
        definition,
        _("“%(label)s”的定义") % {"label": label},
    )


def _labelled(anchor: str, label: str, definition: str) -> str:
    return format_html('<span class="figure-label">{}{}</span>', label, _help(anchor, label, definition))


@register.simple_tag
def figure_label(key: str) -> str:
    """`收到申请?` where ? opens the figure's entry on the definitions page."""
    figure = BY_KEY[key]
    return _labelled(figure.anchor, str(figure.label), str(figure.definition))


@register.simple_tag
def figure_help(key: str) -> str:
    figure = BY_KEY[key]
    return _help(figure.anchor, str(figure.label), str(figure.definition))


@register.simple_tag
def target_label(metric: str) -> str:
    target = TARGET_DEFINITIONS[metric]
    return _labelled(target.anchor, str(target.label), str(target.definition))


@register.simple_tag
def note_label(key: str) -> str:
    note = _NOTES[key]
    return _labelled(note.anchor, str(note.label), str(note.definition))


@register.simple_tag
def note_help(key: str) -> str:
    note = _NOTES[key]
    return _help(note.anchor, str(note.label), str(note.definition))


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
