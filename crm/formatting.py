"""Every number the product shows or exports is turned into text here: scorecards, drill-downs,
survey results, the book's pages (through the ``numbers`` template filters), CSV exports and
e-mails. It lives in ``crm``, the lowest app that shows numbers, so ``surveys`` and ``metrics``
can use it without the book importing them.

Two rules are in use today and both are kept exactly as the pages showed them before this
module existed: ``format_number`` (KPI units, Python's ``format``: a float's binary value
decides a tie, e.g. 12.5 shows as ``12``) and ``format_places`` (Django's ``floatformat``:
ties round half up, e.g. 12.5 shows as ``13``). A rounding change is made here and nowhere else.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.template.defaultfilters import filesizeformat, floatformat

# How many decimal places each KPI unit is shown with, and what follows the number.
DECIMALS = {"percent": 1, "nps": 0, "ces": 1, "count": 0, "money": 0, "ratio": 2}
UNIT_SUFFIX = {"percent": " %", "hours": " h", "days": " d", "months": " mo"}
# Shown where a value is missing in a listing.
MISSING = "—"
# A typographic minus: "−3" does not wrap away from its digits and reads as a sign.
MINUS = "−"


def decimals_for(unit: str) -> int:
    """Decimal places a number in ``unit`` is shown with (1 for a unit not listed)."""
    return DECIMALS.get(unit, 1)


def format_number(unit: str, value: float, *, signed: bool = False) -> str:
    """``value`` in ``unit`` (a KPI unit: "percent", "nps", "money", …) as a page shows it:
    thousands separated by commas, a typographic minus, the unit's suffix or the currency
    (``settings.CURRENCY``) in front of money. ``signed`` always shows the sign (a change)."""
    decimals = decimals_for(unit)
    text = f"{value:+,.{decimals}f}" if signed else f"{value:,.{decimals}f}"
    text = text.replace("-", MINUS)
    if unit == "money":
        return f"{settings.CURRENCY} {text}"
    return text + UNIT_SUFFIX.get(unit, "")


def format_count(value: float | None) -> str:
    """A whole number with thousands separators ("1,204"); "" when there is none."""
    return "" if value is None else f"{value:,.0f}"


def format_money(value: float | Decimal | None) -> str:
    """An amount in the organisation's currency, whole units ("GBP 1,250"); "—" when none."""
    return MISSING if value is None else format_number("money", float(value))


def format_plain(value: float) -> str:
    """A number as a person typed it, no trailing zeros ("80", "12.5"): a target just set."""
    return f"{value:g}"


def format_places(value, places: str | int = -1) -> str:
    """``value`` with ``places`` decimals as the templates' ``floatformat`` argument reads it
    ("0", "1", "-2" = at most 2, "0g" = grouped thousands); "" for a value that is not a
    number. Used by the ``number`` template filter (``crm/templatetags/numbers.py``)."""
    return floatformat(value, places)


def format_file_size(size: int) -> str:
    """A size in bytes as people read it ("10.0 MB")."""
    return filesizeformat(size)


def export_rounded(value: float | None, places: int = 2) -> float | str:
    """A derived number written to a CSV cell (a composite score): rounded to ``places``
    and left a number so a spreadsheet can compute with it; "" when there is none."""
    return "" if value is None else round(value, places)


def export_decimal(value: Decimal) -> str:
    """A stored amount written to a CSV cell exactly as stored, never in exponent form
    ("1250.00", not "1.25E+3"), so that the importer reads back the same value."""
    return format(value, "f")
