"""Server-side SVG trend charts: no JavaScript (the CSP forbids inline scripts) and readable
without colour. Each point's status is drawn as a shape (circle on target, triangle within
tolerance, square off target, ring without a target) in the Okabe–Ito palette of app.css, the
target is a dashed line, a missing period is a gap, and the whole chart is described in text
for screen readers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

LINE = "#0072b2"
TARGET = "#555555"
STATUS_COLOURS = {"green": "#009e73", "amber": "#e69f00", "red": "#d55e00"}
STATUS_WORDS = {
    "green": "on target",
    "amber": "within tolerance",
    "red": "off target",
    "no_target": "no target",
}


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None
    status: str
    low_sample: bool = False


def _marker(x: float, y: float, status: str, size: float) -> str:
    colour = STATUS_COLOURS.get(status)
    if colour is None:
        return (
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size * 0.8:.1f}" fill="#fff" '
            f'stroke="{LINE}" stroke-width="1.5"/>'
        )
    if status == "green":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size:.1f}" fill="{colour}"/>'
    if status == "amber":
        h = size * 1.25
        return (
            f'<polygon points="{x:.1f},{y - h:.1f} {x + h:.1f},{y + h * 0.8:.1f} '
            f'{x - h:.1f},{y + h * 0.8:.1f}" fill="{colour}" stroke="#000" stroke-width=".6"/>'
        )
    return (
        f'<rect x="{x - size:.1f}" y="{y - size:.1f}" width="{size * 2:.1f}" '
        f'height="{size * 2:.1f}" fill="{colour}"/>'
    )


def _scale(points: Sequence[Point], target: float | None) -> tuple[float, float]:
    values = [p.value for p in points if p.value is not None]
    if target is not None:
        values.append(target)
    low, high = min(values), max(values)
    if high == low:
        pad = abs(high) * 0.1 or 1.0
        return low - pad, high + pad
    pad = (high - low) * 0.08
    return low - pad, high + pad


def _description(points: Sequence[Point], target_text: str, fmt: Callable[[float], str]) -> str:
    said = []
    for p in points:
        if p.value is None:
            said.append(f"{p.label} no data")
        else:
            extra = f", {STATUS_WORDS[p.status]}" if p.status in STATUS_WORDS else ""
            extra += ", low sample" if p.low_sample else ""
            said.append(f"{p.label} {fmt(p.value)}{extra}")
    target = f" Target {target_text}." if target_text else ""
    return "Trend: " + "; ".join(said) + "." + target


def trend_svg(
    points: Sequence[Point],
    *,
    target: float | None,
    target_text: str = "",
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
    width: int = 150,
    height: int = 36,
    axes: bool = False,
) -> SafeString:
    """A line over ``points`` (oldest first). ``axes`` adds period labels and the value range
    for the large chart of the drill-down page; without it, a sparkline for a table cell."""
    description = _description(points, target_text, fmt)
    if not any(p.value is not None for p in points):
        return format_html('<span class="text-body-secondary small">{}</span>', "No trend data")
    left, right = (56, 56) if axes else (4, 4)
    top, bottom = (10, 26) if axes else (5, 5)
    plot_w, plot_h = width - left - right, height - top - bottom
    low, high = _scale(points, target)
    step = plot_w / max(len(points) - 1, 1)

    def xy(index: int, value: float) -> tuple[float, float]:
        return left + index * step, top + plot_h * (1 - (value - low) / (high - low))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trend{" trend-large" if axes else ""}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(description)}"><title>{escape(description)}</title>'
    ]
    if axes:
        for value in (low, high):
            _, y = xy(0, value)
            parts.append(
                f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                f'stroke="#dee2e6" stroke-width="1"/>'
                f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
                f'fill="#495057">{escape(fmt(value))}</text>'
            )
        for index, p in enumerate(points):
            x, _ = xy(index, low)
            parts.append(
                f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" font-size="10" '
                f'fill="#495057">{escape(p.label)}</text>'
            )
    if target is not None:
        _, y = xy(0, target)
        parts.append(
            f'<line class="trend-target" x1="{left}" x2="{width - right}" y1="{y:.1f}" '
            f'y2="{y:.1f}" stroke="{TARGET}" stroke-width="1" stroke-dasharray="4 3"/>'
        )
        if axes:
            parts.append(
                f'<text x="{width - right + 4}" y="{y + 4:.1f}" font-size="11" '
                f'fill="{TARGET}">target</text>'
            )
    # A period without data breaks the line rather than being drawn as zero.
    run: list[str] = []
    runs: list[list[str]] = [run]
    for index, p in enumerate(points):
        if p.value is None:
            run = []
            runs.append(run)
            continue
        x, y = xy(index, p.value)
        run.append(f"{x:.1f},{y:.1f}")
    for segment in runs:
        if len(segment) > 1:
            parts.append(
                f'<polyline points="{" ".join(segment)}" fill="none" stroke="{LINE}" '
                f'stroke-width="{2 if axes else 1.5}" stroke-linejoin="round"/>'
            )
    size = 4.5 if axes else 2.6
    for index, p in enumerate(points):
        if p.value is None:
            continue
        x, y = xy(index, p.value)
        last = index == len(points) - 1
        parts.append(_marker(x, y, p.status, size * (1.3 if last and not axes else 1)))
    parts.append("</svg>")
    # Every interpolated piece is a number or passed through escape() above.
    return mark_safe("".join(parts))
