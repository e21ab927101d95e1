"""The Dokumentation as PDF: the report rendered by WeasyPrint from ``templates/results/dokumentation.html``.

Pure: no Flask app, no database; Jinja2 on its own renders the template. A4, German hyphenation
(``lang`` plus ``hyphens: auto``), table headers repeated on every page, a tagged PDF (PDF/UA-1) for
screen readers, and a font installed with the app (DejaVu Sans from the npm package ``dejavu-fonts-ttf``,
copied to ``static/vendor/dejavu`` with its licence by ``make install``) so umlauts, dashes and „quotes“
render the same on every installation.
"""

import base64
import re
from pathlib import Path

import jinja2
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from facilitation.exports.collect import Report
from facilitation.exports.tables import Column, Table, format_cell

ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATES = ROOT / "templates" / "results"
#: The DejaVu files ``make install`` copies from npm; ``FACILITATION_FONT_DIR`` (or ``EXPORT_FONT_DIR``)
#: may name another folder.
DEFAULT_FONT_DIR = ROOT / "static" / "vendor" / "dejavu"
FONT_FILES = {
    "regular": "DejaVuSans.ttf",
    "bold": "DejaVuSans-Bold.ttf",
    "italic": "DejaVuSans-Oblique.ttf",
    "condensed": "DejaVuSansCondensed.ttf",
    "condensed_bold": "DejaVuSansCondensed-Bold.ttf",
}
#: The family the SVG charts are drawn in inside the PDF and the DOCX's PNGs: the bundled font (the
#: screens' list names fonts a PDF lacks).
CHART_FONT = "Doc"
#: Columns of a breakdown that fit on a portrait page next to the group names.
BREAKDOWN_COLUMNS = 9


class FontMissing(RuntimeError):
    """The PDF font is not installed; the message says what to install."""


def fonts(folder: Path | None = None) -> dict[str, str]:
    """``file://`` URLs of the font files, or :class:`FontMissing` naming the package to install."""
    folder = Path(folder or DEFAULT_FONT_DIR)
    missing = [name for name in FONT_FILES.values() if not (folder / name).is_file()]
    if missing:
        raise FontMissing(
            f"PDF export needs the DejaVu fonts ({', '.join(missing)}) in {folder}: "
            "point FACILITATION_FONT_DIR at a folder with these files (Debian's fonts-dejavu-core has them "
            "in /usr/share/fonts/truetype/dejavu), or run `make install` to copy them to static/vendor/dejavu."
        )
    return {key: (folder / name).as_uri() for key, name in FONT_FILES.items()}


def chart_uri(svg: str) -> str:
    """A chart as a data URI for ``<img>``, drawn in the PDF's font."""
    svg = re.sub(r'font-family="[^"]*"', f'font-family="{CHART_FONT}"', svg, count=1)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def split_columns(table: Table, keep: int = 2, per_page: int = BREAKDOWN_COLUMNS) -> list[Table]:
    """A wide table as several narrower ones: the first ``keep`` columns repeated in each."""
    if len(table.columns) <= keep + per_page:
        return [table]
    parts = []
    for start in range(keep, len(table.columns), per_page):
        indexes = list(range(keep)) + list(range(start, min(start + per_page, len(table.columns))))
        part = Table(table.name, table.title, [table.columns[i] for i in indexes], note=table.note)
        for number, row in enumerate(table.rows):
            part.add([row[i] for i in indexes], table.style_of(number))
        parts.append(part)
    return parts


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["chart_uri"] = chart_uri
    environment.globals["split_columns"] = split_columns
    return environment


_ENVIRONMENT = None


def html(report: Report) -> str:
    """The Dokumentation as HTML (the PDF's source; tests and debugging read it too)."""
    global _ENVIRONMENT
    if _ENVIRONMENT is None:
        _ENVIRONMENT = _environment()

    def cell(value, column: Column) -> str:
        return format_cell(value, column, report.decimal_mark)

    template = _ENVIRONMENT.get_template("dokumentation.html")
    return template.render(report=report, t=report.labels, cell=cell)


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def font_faces(font_urls: dict[str, str]) -> list[str]:
    """``@font-face`` rules of the families ``Doc`` and ``Doc Condensed`` (the bundled DejaVu files).

    WeasyPrint honours them only with a ``FontConfiguration`` given to both ``CSS`` and ``write_pdf``;
    without it the text silently falls back to whatever sans-serif the system has.
    """
    faces = [
        ("Doc", "regular", "normal", "normal"),
        ("Doc", "bold", "bold", "normal"),
        ("Doc", "italic", "normal", "italic"),
        ("Doc Condensed", "condensed", "normal", "normal"),
        ("Doc Condensed", "condensed_bold", "bold", "normal"),
    ]
    return [
        f'@font-face {{ font-family: "{family}"; src: url("{font_urls[key]}"); font-weight: {weight}; '
        f"font-style: {style}; }}"
        for family, key, weight, style in faces
    ]


def stylesheet(font_urls: dict[str, str], labels: dict[str, str]) -> str:
    """The print stylesheet with the font files declared (``@font-face`` needs their paths)."""
    rules = font_faces(font_urls)
    page = f"{_css_string(labels['page'] + ' ')} counter(page) {_css_string(' ' + labels['of'] + ' ')} counter(pages)"
    footer = f"@page {{ @bottom-right {{ content: {page}; }} }}"
    widths = [f"col.p{n} {{ width: {n}%; }}" for n in range(1, 101)]
    return "\n".join([*rules, (TEMPLATES / "dokumentation.css").read_text("utf-8"), footer, *widths])


def write(report: Report, font_dir: Path | None = None) -> bytes:
    """The Dokumentation as PDF bytes."""
    font_urls = fonts(font_dir)
    font_config = FontConfiguration()
    document = HTML(string=html(report), base_url=str(TEMPLATES))
    return document.write_pdf(
        stylesheets=[CSS(string=stylesheet(font_urls, report.labels), font_config=font_config)],
        font_config=font_config,
        pdf_variant="pdf/ua-1",
    )
