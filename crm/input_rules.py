"""The rules every typed-in or imported value passes, kept in one place so that pages, imports
and e-mails agree: text carries no NUL or control characters (a name or a title not even a line
break), and dates lie within the years an export can write and an import read back.

``InputRulesMixin`` applies them to every field of a form; ``crm.imports.columns`` applies the
same functions to CSV cells; ``header_safe`` makes any text usable as an e-mail header.
"""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.core.exceptions import ValidationError

# A relationship record outside these years is a typo, and far-off years overflow once a
# time zone is applied (year 1 at +14:00 is before year 1 in UTC).
FIRST_YEAR, LAST_YEAR = 1900, 2999

# Text of several lines (a summary, an outcome) may hold tabs and line breaks, nothing else
# below U+0020. PostgreSQL refuses NUL outright; the others corrupt CSV files and mail headers.
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A single line (a name, a title, a topic) also refuses every kind of line break: a name with a
# newline in it breaks every e-mail header that quotes it.
_CONTROL_IN_LINE = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def _describe(character: str) -> str:
    if character == "\x00":
        return "a NUL byte"
    if character in "\r\n\x85\u2028\u2029":
        return "a line break"
    if character == "\t":
        return "a tab"
    return f"the control character U+{ord(character):04X}"


def text_problem(value: str, *, single_line: bool) -> str:
    """Why ``value`` is not acceptable text, or "" if it is."""
    pattern = _CONTROL_IN_LINE if single_line else _CONTROL_IN_TEXT
    match = pattern.search(value)
    if match is None:
        return ""
    where = "this field" if single_line else "this text"
    return f"{where.capitalize()} cannot contain {_describe(match.group())}."


def validate_single_line(value: str) -> None:
    """Refuse NUL, control characters and line breaks (names, titles). Raises ValidationError."""
    if problem := text_problem(value or "", single_line=True):
        raise ValidationError(problem, code="control_character")


def validate_text(value: str) -> None:
    """Refuse NUL and control characters other than tab and line breaks. Raises
    ValidationError."""
    if problem := text_problem(value or "", single_line=False):
        raise ValidationError(problem, code="control_character")


def year_problem(value: date) -> str:
    """Why ``value`` (a date or date-time) is outside the accepted years, or ""."""
    if FIRST_YEAR <= value.year <= LAST_YEAR:
        return ""
    return f"Use a date between the years {FIRST_YEAR} and {LAST_YEAR}."


def validate_year(value: date | None) -> None:
    """Refuse a date or date-time outside ``FIRST_YEAR``..``LAST_YEAR``. Raises
    ValidationError."""
    if value is not None and (problem := year_problem(value)):
        raise ValidationError(problem, code="year_out_of_range")


def header_safe(text: str, *, limit: int = 300) -> str:
    """``text`` as one line fit for an e-mail header: every control character and line break
    becomes a space, runs of spaces collapse, and it is cut to ``limit`` characters. Whatever
    the data, the header can be written (Django refuses a header with a newline)."""
    return " ".join(_CONTROL_IN_LINE.sub(" ", text or "").split())[:limit]


def form_problems(form: forms.BaseForm) -> list[str]:
    """Every error message of a bound, invalid ``form`` (field and non-field), in field order:
    for pages that report a failed form as one message rather than re-render it."""
    return [message for messages in form.errors.values() for message in messages]


class InputRulesMixin:
    """Put the input rules on every field of a form: text fields refuse control characters
    (single-line unless the widget is a textarea), date fields refuse years out of bounds.
    Mixed into every form of the site, first in the bases."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                multiline = isinstance(field.widget, forms.Textarea)
                field.validators.append(validate_text if multiline else validate_single_line)
            elif isinstance(field, forms.DateField | forms.DateTimeField):
                field.validators.append(validate_year)


class CheckedForm(InputRulesMixin, forms.Form):
    """A form with the input rules: the base of every form of the site."""
