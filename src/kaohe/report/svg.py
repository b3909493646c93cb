"""Static charts as inline SVG for the PDF (WeasyPrint runs no JavaScript).

Written by hand: a radar of dimensions and a horizontal bar chart are a few dozen SVG elements,
and a plotting library would bring a rendering stack (fonts, backends) for what is string
formatting. Text uses the report's CJK font so Chinese labels render in the PDF.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

FONT = "Noto Sans CJK SC, sans-serif"
INK = "#1f2d3d"
GRID = "#c8d1dc"
FILL = "#2f6fb3"
ACCENT = "#d9822b"


def _text(
    x: float, y: float, content: str, size: float = 10, anchor: str = "middle", **extra
) -> str:
    attributes = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in extra.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" font-family="{FONT}" fill="{INK}" '
        f'text-anchor="{anchor}"{attributes}>{escape(content)}</text>'
    )


def radar(labels: list[str], shares: list[float | None], size: int = 260) -> str:
    """A radar of shares (0 to 1) per axis; a missing share is drawn at the centre."""
    count = len(labels)
    if count < 3:  # a radar needs three axes; fall back to bars
        return bars(labels, [(s or 0) * 100 for s in shares], 100, "%", width=size)
    margin = 70  # room for the labels left and right of the circle
    middle, centre, radius = margin + size / 2, size / 2, size / 2 - 40

    def point(i: int, r: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / count
        return middle + r * math.cos(angle), centre + r * math.sin(angle)

    def clamp(share: float | None) -> float:
        return max(0.0, min(1.0, share or 0.0))

    width = size + 2 * margin
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{size}" '
        f'viewBox="0 0 {width} {size}">'
    ]
    for level in (0.25, 0.5, 0.75, 1.0):
        ring = " ".join(
            f"{x:.1f},{y:.1f}" for x, y in (point(i, radius * level) for i in range(count))
        )
        parts.append(f'<polygon points="{ring}" fill="none" stroke="{GRID}" stroke-width="0.8"/>')
    for i, label in enumerate(labels):
        x, y = point(i, radius)
        parts.append(
            f'<line x1="{middle}" y1="{centre}" x2="{x:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="0.8"/>'
        )
        lx, ly = point(i, radius + 12)
        anchor = "middle" if abs(lx - middle) < 5 else ("start" if lx > middle else "end")
        parts.append(_text(lx, ly + 4, label, 10, anchor))
    corners = [point(i, radius * clamp(s)) for i, s in enumerate(shares)]
    shape = " ".join(f"{x:.1f},{y:.1f}" for x, y in corners)
    parts.append(
        f'<polygon points="{shape}" fill="{FILL}" fill-opacity="0.25" stroke="{FILL}" '
        'stroke-width="1.6"/>'
    )
    parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.6" fill="{FILL}"/>' for x, y in corners]
    parts.append("</svg>")
    return "".join(parts)


def bars(
    labels: list[str],
    values: list[float | None],
    maximum: float | None = None,
    unit: str = "",
    width: int = 460,
    highlight: int | None = None,
) -> str:
    """Horizontal bars with their values written at the end; ``highlight`` marks one bar."""
    row, left = 20, 120
    height = row * len(labels) + 10
    top = maximum or max([v for v in values if v is not None] + [1e-9])
    span = width - left - 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">'
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 5 + i * row
        parts.append(_text(left - 6, y + 13, label, 10, "end"))
        length = 0.0 if value is None else max(0.0, value) / top * span
        colour = ACCENT if i == highlight else FILL
        parts.append(
            f'<rect x="{left}" y="{y + 3}" width="{length:.1f}" height="{row - 7}" fill="{colour}"/>'
        )
        shown = (
            "—"
            if value is None
            else f"{value:.{0 if unit == 'n' else 1}f}{'' if unit == 'n' else unit}"
        )
        parts.append(_text(left + length + 4, y + 13, shown, 10, "start"))
    parts.append("</svg>")
    return "".join(parts)


def line(
    labels: list[str],
    values: list[float | None],
    breaks: tuple[int, ...] = (),
    width: int = 460,
    height: int = 180,
) -> str:
    """Values over periods as a line with their numbers written above; the line is not drawn
    across a break (a dashed rule before point ``i``: the scheme changed, the values are not
    comparable) nor through a missing value."""
    left, right, top, bottom = 30, 20, 20, 30
    known = [v for v in values if v is not None]
    low, high = (min(known), max(known)) if known else (0.0, 1.0)
    if high - low < 1e-9:
        low, high = low - 1, high + 1
    step = (width - left - right) / max(len(labels) - 1, 1)

    def x(i: int) -> float:
        return left + i * step if len(labels) > 1 else width / 2

    def y(value: float) -> float:
        return top + (high - value) / (high - low) * (height - top - bottom)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" '
        f'stroke="{GRID}" stroke-width="0.8"/>',
    ]
    for i in breaks:
        middle = (x(i - 1) + x(i)) / 2
        parts.append(
            f'<line x1="{middle:.1f}" y1="{top - 10}" x2="{middle:.1f}" y2="{height - bottom}" '
            f'stroke="{ACCENT}" stroke-width="1" stroke-dasharray="4,3"/>'
        )
    segment: list[str] = []
    for i, value in enumerate([*values, None]):
        if value is None or i in breaks:
            if len(segment) > 1:
                parts.append(
                    f'<polyline points="{" ".join(segment)}" fill="none" stroke="{FILL}" '
                    'stroke-width="1.6"/>'
                )
            segment = []
        if value is not None:
            segment.append(f"{x(i):.1f},{y(value):.1f}")
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        parts.append(_text(x(i), height - bottom + 16, label, 10))
        if value is not None:
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="2.8" fill="{FILL}"/>')
            parts.append(_text(x(i), y(value) - 7, f"{value:.1f}", 9))
    parts.append("</svg>")
    return "".join(parts)
