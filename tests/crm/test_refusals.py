"""crm.refusals: a service's refusal ends the block and is shown, on the next page or on the
form; what the block did before the refusal stands, what follows it does not run."""

from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from crm.refusals import refusal_as_message, refusal_on_form


def _request():
    request = RequestFactory().post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def _refuse(*messages):
    raise ValidationError(list(messages))


class _TitleForm(forms.Form):
    title = forms.CharField()


def test_a_refusal_becomes_one_error_message_and_skips_the_rest_of_the_block():
    request, reached = _request(), []
    with refusal_as_message(request):
        _refuse("Too late.", "Already done.")
        reached.append("after the refusal")
    assert [str(m) for m in get_messages(request)] == ["Too late. Already done."]
    assert reached == []


def test_a_block_without_refusal_runs_to_its_end_and_adds_no_message():
    request, reached = _request(), []
    with refusal_as_message(request):
        reached.append("done")
    assert reached == ["done"]
    assert list(get_messages(request)) == []


def test_a_refusal_naming_a_field_of_the_form_is_shown_on_that_field():
    form = _TitleForm({"title": "Renewal"})
    assert form.is_valid()
    with refusal_on_form(form):
        raise ValidationError({"title": "A deal with this title exists."})
    assert form.errors == {"title": ["A deal with this title exists."]}


def test_a_refusal_naming_no_field_of_the_form_is_shown_at_its_top():
    form = _TitleForm({"title": "Renewal"})
    assert form.is_valid()
    with refusal_on_form(form):
        raise ValidationError({"due_on": "Not before the relationship started."})
    assert form.non_field_errors() == ["Not before the relationship started."]
