from django import template
from django.utils.html import format_html

from crm.idempotency import FIELD, new_form_token

register = template.Library()


@register.simple_tag
def form_token():
    """A hidden one-time token: sending the form twice saves it once (crm.idempotency)."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_form_token())
