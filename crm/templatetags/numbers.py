"""``{% load numbers %}``: the template side of ``crm.formatting``, so a page never rounds a
number itself (``floatformat`` is not used in templates)."""

from django import template

from crm import formatting

register = template.Library()


@register.filter
def number(value, places="-1"):
    """``{{ value|number:"0g" }}``: ``value`` with ``places`` decimals ("0", "1", "-2" = at
    most 2, a trailing "g" groups thousands), rounded by ``crm.formatting``'s one rule."""
    return formatting.format_places(value, places)
