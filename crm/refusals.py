"""How a page shows a service's refusal (a ``ValidationError``): as an error message on the page
the user is sent to next, or on the form they submitted.

Both are context managers around a service call and what follows its success: a refusal ends
the block there, is shown, and the view goes on after the block (to redirect, or to render the
form again with a 422)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError

from crm.forms import add_service_error


@contextmanager
def refusal_as_message(request) -> Iterator[None]:
    """A refusal raised in the block becomes an error message, all its messages on one line."""
    try:
        yield
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))


@contextmanager
def refusal_on_form(form: forms.Form) -> Iterator[None]:
    """A refusal raised in the block is shown on ``form`` (``add_service_error``)."""
    try:
        yield
    except ValidationError as error:
        add_service_error(form, error)
