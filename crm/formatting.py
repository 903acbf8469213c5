"""Every number the product shows or exports is turned into text here: scorecards, drill-downs,
survey results, the book's pages (through the ``numbers`` template filters), CSV exports and
e-mails. It lives in ``crm``, the lowest app that shows numbers, so ``surveys`` and ``metrics``
can use it without the book importing them.

One rounding rule for all of them: **half away from zero, on the number as written in
decimal** (``round_half_away``). An NPS of exactly 12.5 shows as ``13`` everywhere, a CES of
4.25 as ``4.3``, −12.5 as ``−13``. The decimal form is the shortest text that reads back as the
same float (``repr``), so 2.675, stored as 2.67499999…, rounds to 2.68 as a person expects,
not to 2.67 as binary floating point would. ``format_places``, behind the templates'
``number`` filter, uses the same function; ``tests/test_formatting.py`` holds every path to it
at the .5 edges. A rounding change is made here and nowhere else.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.template.defaultfilters import filesizeformat

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


def round_half_away(value: float | Decimal, places: int) -> Decimal:
    """``value`` rounded to ``places`` decimals, ties away from zero (12.5 → 13, −0.25 → −0.3),
    on its decimal form (see the module docstring). A result of zero has no sign."""
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return abs(rounded) if rounded == 0 else rounded


def format_number(unit: str, value: float, *, signed: bool = False) -> str:
    """``value`` in ``unit`` (a KPI unit: "percent", "nps", "money", …) as a page shows it:
    rounded by ``round_half_away``, thousands separated by commas, a typographic minus, the
    unit's suffix or the currency (``settings.CURRENCY``) in front of money. ``signed`` always
    shows the sign (a change)."""
    decimals = decimals_for(unit)
    rounded = round_half_away(value, decimals)
    text = f"{rounded:+,.{decimals}f}" if signed else f"{rounded:,.{decimals}f}"
    text = text.replace("-", MINUS)
    if unit == "money":
        return f"{settings.CURRENCY} {text}"
    return text + UNIT_SUFFIX.get(unit, "")


def format_count(value: float | None) -> str:
    """A whole number with thousands separators ("1,204"); "" when there is none."""
    return "" if value is None else f"{round_half_away(value, 0):,.0f}"


def format_money(value: float | Decimal | None) -> str:
    """An amount in the organisation's currency, whole units ("GBP 1,250"); "—" when none."""
    return MISSING if value is None else format_number("money", float(value))


def format_plain(value: float) -> str:
    """A number as a person typed it, no trailing zeros ("80", "12.5"): a target just set."""
    return f"{value:g}"


def format_places(value, places: str | int = -1) -> str:
    """``value`` rounded by ``round_half_away`` to ``places`` decimals, read as the templates'
    ``floatformat`` argument reads it: "1" = always one decimal, "-2" = at most two (none for
    a whole number), a trailing "g" groups thousands ("0g" → "1,250"). "" for a value that is
    not a number. Used by the ``number`` template filter (``crm/templatetags/numbers.py``)."""
    spec = str(places)
    grouped = spec.endswith("g")
    try:
        digits = int(spec.removesuffix("g") or "-1")
        number = Decimal(str(value))
    except (ValueError, ArithmeticError):
        return ""
    if value is None or isinstance(value, bool) or not number.is_finite():
        return ""
    rounded = round_half_away(number, abs(digits))
    shown = 0 if digits < 0 and rounded == rounded.to_integral_value() else abs(digits)
    return f"{rounded:{',' if grouped else ''}.{shown}f}"


def format_file_size(size: int) -> str:
    """A size in bytes as people read it ("10.0 MB")."""
    return filesizeformat(size)


def export_rounded(value: float | None, places: int = 2) -> float | str:
    """A derived number written to a CSV cell (a composite score): rounded to ``places``
    and left a number so a spreadsheet can compute with it; "" when there is none."""
    return "" if value is None else float(round_half_away(value, places))


def export_decimal(value: Decimal) -> str:
    """A stored amount written to a CSV cell exactly as stored, never in exponent form
    ("1250.00", not "1.25E+3"), so that the importer reads back the same value."""
    return format(value, "f")
