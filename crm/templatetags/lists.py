"""``{% csv_button %}``: the "Export CSV" link of a list page, carrying its filters."""

from django import template
from django.utils.html import format_html

from crm.list_exports import csv_querystring

register = template.Library()


@register.simple_tag(takes_context=True)
def csv_button(context, label="Export CSV"):
    """A link to the current page with its filters and ``format=csv`` (see crm.list_exports)."""
    request = context["request"]
    return format_html(
        '<a class="btn btn-outline-secondary btn-sm" href="{}?{}" download>{}</a>',
        request.path,
        csv_querystring(request),
        label,
    )
