"""Charts of vote results as standalone SVG: for the projector (read from 5 m), the console, the results
page and later the PDF export.

Pure: no Flask app, no database. Input is the results dict of ``voting.services.results`` and the
translated words the chart needs (``Words``); every text is escaped. Type is large (the smallest is
30 px in a 1600 px wide drawing), colours meet WCAG AA contrast on white.
"""

from dataclasses import dataclass
from xml.sax.saxutils import escape

WIDTH = 1600
INK = "#0b1a26"
INK_SOFT = "#3d4b57"
GRID = "#c9d3da"
BAR = "#0b4f6c"
BAR_TOP = "#083a50"
#: A topic nobody placed on the matrix yet (white numbers on it stay above 4.5:1).
UNPLACED = "#6c757d"
PAPER = "#ffffff"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
#: From "stimme gar nicht zu" (red) to "stimme voll zu" (green); dark enough for white numbers on them.
SCALE_COLOURS = ["#a4262c", "#c8501e", "#6c757d", "#2f7d4a", "#146c43"]
#: Fist-of-five: everything below 3 is an objection (reds), 3 and more carry it (greens).
FIST_COLOURS = ["#7d1a1f", "#a4262c", "#c8501e", "#2f7d4a", "#146c43", "#0b4f30"]
#: Average width of a character, in font sizes (for wrapping; SVG text does not wrap by itself).
CHAR_WIDTH = 0.6
#: Lines a topic may take beside its bar: enough for the longest topic (120 characters, long German words) to be
#: read in full, on the projector too; a row with more than two lines grows instead of cutting the topic off.
LABEL_LINES = 6


@dataclass(frozen=True)
class Words:
    """The translated words a chart shows (the caller translates, the chart only draws)."""

    nobody: str = "Noch keine Stimmen"
    importance: str = "Wichtigkeit"
    urgency: str = "Dringlichkeit"
    quadrants: tuple[str, str, str, str] = ("wichtig & dringend", "wichtig", "dringend", "weder noch")
    low: str = "gering"
    high: str = "hoch"
    mean: str = "Ø"
    passes: str = "Konsens"
    scale_hint: str = "1 = stimme gar nicht zu, 5 = stimme voll zu"
    fist_hint: str = "0 = Veto, 3 = mittragen, 5 = volle Zustimmung"
    objections: str = "Einwände"


def _text(x, y, content, *, size=32, weight=400, fill=INK, anchor="start", extra="") -> str:
    return (
        f'<text x="{x:.0f}" y="{y:.0f}" font-size="{size}" font-weight="{weight}" fill="{fill}" '
        f'text-anchor="{anchor}"{extra}>{escape(str(content))}</text>'
    )


def wrap(text: str, width: float, size: float, max_lines: int = 2, *, bold: bool = False) -> list[str]:
    """Break ``text`` into lines that fit ``width`` at font ``size``; the last line ends in "…" if cut."""
    per_line = max(4, int(width / (size * CHAR_WIDTH * (1.1 if bold else 1))))
    words, lines, line = str(text).split(), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if len(candidate) <= per_line:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = word if len(word) <= per_line else word[: per_line - 1] + "…"
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        lines[-1] = (last if len(last) < per_line else last[: per_line - 1]).rstrip(" –-,") + "…"
    return lines or [""]


def _svg(height: float, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'width="{WIDTH}" height="{height:.0f}" role="img" font-family="{FONT}">'
        f"<title>{escape(title)}</title>"
        f'<rect width="{WIDTH}" height="{height:.0f}" fill="{PAPER}"/>' + "".join(body) + "</svg>"
    )


def _number(value: float, decimals: int = 0, decimal_mark: str = ",") -> str:
    text = f"{value:.{decimals}f}"
    return text.replace(".", decimal_mark)


def chart(results: dict, words: Words = Words(), *, title: str = "", decimal_mark: str = ",") -> str:
    """The chart that fits the step's method."""
    method = results.get("method", "dots")
    if method == "matrix":
        return matrix_chart(results, words, title=title, decimal_mark=decimal_mark)
    if method in ("scale", "fist"):
        return scale_chart(results, words, title=title, decimal_mark=decimal_mark)
    return bar_chart(results, words, title=title)


def _figure(option: dict, method: str) -> float:
    if method == "ranking":
        return option.get("score", 0)
    if method in ("single", "multiple"):
        return option.get("voters", 0)
    return option.get("total", 0)


def bar_chart(results: dict, words: Words = Words(), *, title: str = "") -> str:
    """Horizontal bars, highest first: label, bar, value. Ties share the colour of the top ones."""
    method = results.get("method", "dots")
    options = results.get("options", [])
    label_width, value_width, gap = 720, 150, 24
    bar_left = label_width + gap
    bar_space = WIDTH - bar_left - value_width - gap
    size = 36 if len(options) <= 8 else 32 if len(options) <= 12 else 26
    row = size * 2.4
    top = 16
    body = []
    highest = max((_figure(o, method) for o in options), default=0)
    labels = [_label_lines(o["label"], label_width, size, bold=o.get("rank") == 1 and highest > 0) for o in options]
    tops = _row_tops(labels, top, row, size)
    if not options or highest == 0:
        height = max(tops[-1], 240)
        for index, lines in enumerate(labels):
            body += _label(lines, label_width, (tops[index] + tops[index + 1]) / 2, size)
        body.append(
            _text(
                WIDTH / 2 + label_width / 2,
                height / 2 + size / 3,
                words.nobody,
                size=size,
                fill=INK_SOFT,
                anchor="middle",
            )
        )
        return _svg(height, body, title)
    for index, option in enumerate(options):
        middle = (tops[index] + tops[index + 1]) / 2
        value = _figure(option, method)
        length = bar_space * value / highest
        fill = BAR_TOP if option.get("rank") == 1 else BAR
        body += _label(labels[index], label_width, middle, size, bold=option.get("rank") == 1)
        body.append(
            f'<rect x="{bar_left}" y="{middle - row * 0.32:.0f}" width="{max(length, 4):.0f}" '
            f'height="{row * 0.64:.0f}" rx="6" fill="{fill}"/>'
        )
        body.append(
            _text(bar_left + max(length, 4) + gap, middle + size * 0.36, f"{value:g}", size=size * 1.1, weight=700)
        )
    height = tops[-1] + top
    body.insert(
        0, f'<line x1="{bar_left}" x2="{bar_left}" y1="{top}" y2="{height - top}" stroke="{GRID}" stroke-width="3"/>'
    )
    return _svg(height, body, title)


def _label_lines(text: str, width: float, size: float, *, bold: bool = False) -> list[str]:
    return wrap(text, width - 8, size, LABEL_LINES, bold=bold)


def _row_tops(labels: list[list[str]], top: float, row: float, size: float) -> list[float]:
    """Where each row starts, and after the last where the rows end: a row is ``row`` high, a topic of several
    lines gets a little air from its neighbours, and the row grows by a line for each line beyond two."""
    tops = [top]
    for lines in labels or [[""]]:
        tops.append(tops[-1] + row + (size * 0.4 if len(lines) > 1 else 0) + max(0, len(lines) - 2) * size * 1.2)
    return tops


def _label(lines: list[str], width: float, middle: float, size: float, *, bold: bool = False) -> list[str]:
    """A topic's lines, right-aligned to ``width`` and centred on ``middle``."""
    first = middle - (len(lines) - 1) * size * 0.6 + size * 0.36
    return [
        _text(width, first + index * size * 1.2, line, size=size, weight=700 if bold else 500, anchor="end")
        for index, line in enumerate(lines)
    ]


def scale_chart(results: dict, words: Words = Words(), *, title: str = "", decimal_mark: str = ",") -> str:
    """One 100 % bar per statement, split by the answers (red: disagree … green: agree), mean on the right."""
    method = results.get("method", "scale")
    options = results.get("options", [])
    values = list(range(0, 6)) if method == "fist" else list(range(1, 6))
    colours = FIST_COLOURS if method == "fist" else SCALE_COLOURS
    label_width, value_width, gap = 620, 230, 24
    bar_left = label_width + gap
    bar_space = WIDTH - bar_left - value_width - gap
    size = 32 if len(options) <= 8 else 28
    row = size * 2.9
    legend = size * 2.2
    body = []
    # Legend: one swatch per answer.
    step = bar_space / len(values)
    for index, value in enumerate(values):
        x = bar_left + index * step
        body.append(
            f'<rect x="{x:.0f}" y="8" width="{step - 10:.0f}" height="{legend - 20:.0f}" rx="6" '
            f'fill="{colours[index]}"/>'
        )
        body.append(
            _text(
                x + (step - 10) / 2,
                8 + (legend - 20) / 2 + size * 0.36,
                value,
                size=size * 0.9,
                weight=700,
                fill=PAPER,
                anchor="middle",
            )
        )
    hint = wrap(words.fist_hint if method == "fist" else words.scale_hint, label_width - 8, size * 0.8)
    for number, line in enumerate(hint):
        body.append(
            _text(
                label_width,
                8 + (legend - 20) / 2 + size * 0.3 + (number - (len(hint) - 1) / 2) * size * 0.95,
                line,
                size=size * 0.8,
                fill=INK_SOFT,
                anchor="end",
            )
        )
    labels = [_label_lines(option["label"], label_width, size) for option in options]
    tops = _row_tops(labels, legend, row, size)
    for index, option in enumerate(options):
        y = (tops[index] + tops[index + 1]) / 2 - row / 2
        middle = y + row / 2
        body += _label(labels[index], label_width, middle, size)
        distribution = option.get("distribution", {})
        voters = option.get("voters", 0)
        x = bar_left
        if not voters:
            body.append(
                f'<rect x="{bar_left}" y="{y + row * 0.2:.0f}" width="{bar_space:.0f}" height="{row * 0.6:.0f}" '
                f'rx="6" fill="none" stroke="{GRID}" stroke-width="3"/>'
            )
            body.append(
                _text(
                    bar_left + bar_space / 2,
                    middle + size * 0.36,
                    words.nobody,
                    size=size * 0.9,
                    fill=INK_SOFT,
                    anchor="middle",
                )
            )
        for value_index, value in enumerate(values):
            count = distribution.get(str(value), 0)
            if not count:
                continue
            length = bar_space * count / voters
            body.append(
                f'<rect x="{x:.1f}" y="{y + row * 0.2:.0f}" width="{length:.1f}" height="{row * 0.6:.0f}" '
                f'fill="{colours[value_index]}"/>'
            )
            if length > size * 1.6:
                body.append(
                    _text(
                        x + length / 2,
                        middle + size * 0.36,
                        count,
                        size=size * 0.9,
                        weight=700,
                        fill=PAPER,
                        anchor="middle",
                    )
                )
            x += length
        if voters:
            if method == "fist":
                verdict = words.passes if option.get("passes") else f"{option.get('objections', 0)} {words.objections}"
                body.append(
                    _text(
                        WIDTH - value_width + gap,
                        middle - size * 0.15,
                        verdict,
                        size=size * 0.85,
                        weight=700,
                        fill="#146c43" if option.get("passes") else "#a4262c",
                    )
                )
                body.append(
                    _text(
                        WIDTH - value_width + gap,
                        middle + size * 0.85,
                        f"{words.mean} {_number(option['mean'], 1, decimal_mark)}",
                        size=size * 0.85,
                        fill=INK_SOFT,
                    )
                )
            else:
                body.append(
                    _text(
                        WIDTH - value_width + gap,
                        middle + size * 0.36,
                        f"{words.mean} {_number(option['mean'], 1, decimal_mark)}",
                        size=size * 1.05,
                        weight=700,
                    )
                )
    height = tops[-1] + 16
    return _svg(height, body, title)


def matrix_chart(results: dict, words: Words = Words(), *, title: str = "", decimal_mark: str = ",") -> str:
    """The 2×2 matrix: Wichtigkeit to the right, Dringlichkeit upwards; each topic a numbered dot at its
    mean position, the numbers explained in a list beside it."""
    options = results.get("options", [])
    size = 34
    plot, left, top = 760, 90, 20
    body = [
        f'<rect x="{left}" y="{top}" width="{plot}" height="{plot}" fill="#f4f7f9" stroke="{INK_SOFT}" '
        'stroke-width="3"/>',
        f'<rect x="{left + plot / 2}" y="{top}" width="{plot / 2}" height="{plot / 2}" fill="#e2edf2"/>',
        f'<line x1="{left + plot / 2}" x2="{left + plot / 2}" y1="{top}" y2="{top + plot}" stroke="{INK_SOFT}" '
        'stroke-width="2" stroke-dasharray="10 8"/>',
        f'<line x1="{left}" x2="{left + plot}" y1="{top + plot / 2}" y2="{top + plot / 2}" stroke="{INK_SOFT}" '
        'stroke-width="2" stroke-dasharray="10 8"/>',
    ]
    both, important, urgent, neither = words.quadrants
    corners = [
        (left + plot - 16, top + 42, both, "end"),  # important and urgent: top right
        (left + plot - 16, top + plot - 20, important, "end"),
        (left + 16, top + 42, urgent, "start"),
        (left + 16, top + plot - 20, neither, "start"),
    ]
    for x, y, text, anchor in corners:
        body.append(_text(x, y, text, size=size * 0.9, weight=700, fill=INK_SOFT, anchor=anchor))
    # Axes: names and low / high.
    body.append(
        _text(left + plot / 2, top + plot + 44, f"{words.importance} →", size=size, weight=700, anchor="middle")
    )
    body.append(_text(left, top + plot + 44, words.low, size=size * 0.8, fill=INK_SOFT))
    body.append(_text(left + plot, top + plot + 44, words.high, size=size * 0.8, fill=INK_SOFT, anchor="end"))
    body.append(
        _text(
            left - 40,
            top + plot / 2,
            f"{words.urgency} →",
            size=size,
            weight=700,
            anchor="middle",
            extra=f' transform="rotate(-90 {left - 40} {top + plot / 2})"',
        )
    )
    # Topics, numbered in the order of the list.
    placed = [(index + 1, option) for index, option in enumerate(options) if option.get("x") is not None]
    for number, option in placed:
        cx = left + option["x"] * plot
        cy = top + (1 - option["y"]) * plot
        body.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="26" fill="{BAR}" stroke="{PAPER}" stroke-width="4"/>')
        body.append(_text(cx, cy + 11, number, size=30, weight=700, fill=PAPER, anchor="middle"))
    list_left = left + plot + 60
    list_width = WIDTH - list_left - 10
    line = size * 1.25
    y = top + size
    for index, option in enumerate(options):
        lines = wrap(option["label"], list_width - 70, size, max_lines=LABEL_LINES)
        body.append(
            f'<circle cx="{list_left + 24}" cy="{y - size * 0.32:.0f}" r="25" '
            f'fill="{BAR if option.get("x") is not None else UNPLACED}"/>'
        )
        body.append(
            _text(list_left + 24, y - size * 0.32 + 10, index + 1, size=28, weight=700, fill=PAPER, anchor="middle")
        )
        for number, text in enumerate(lines):
            body.append(_text(list_left + 64, y + number * line, text, size=size, weight=500))
        y += line * len(lines) + size * 0.5
    if not placed:
        body.append(
            _text(left + plot / 2, top + plot / 2 + 12, words.nobody, size=size, fill=INK_SOFT, anchor="middle")
        )
    height = max(top + plot + 70, y)
    return _svg(height, body, title)
