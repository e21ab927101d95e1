"""Plain tables, the shape every writer understands, and what they share: number formatting and the
neutralising of text that a spreadsheet would run as a formula.

Pure: no Flask app, no database.
"""

from dataclasses import dataclass, field

#: Row styles a writer may draw differently.
TOTAL = "total"
HIDDEN = "hidden"
#: A cell text starting with one of these is a formula (or its start) to Excel and LibreOffice.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    label: str
    #: ``text``, ``int``, ``float`` (two decimals) or ``percent`` (a share 0–1).
    kind: str = "text"
    #: Relative width for writers that lay out pages (PDF, DOCX); 1 is a narrow number column.
    width: float = 1.5
    #: A short header for narrow pages (e.g. a topic's number), where the label would not fit.
    short: str = ""


@dataclass
class Table:
    """A titled table; ``rows`` hold raw values (``str``, ``int``, ``float`` or ``None``)."""

    #: Short ASCII name for file and sheet names, e.g. ``karten``.
    name: str
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    #: Per row ``None``, ``TOTAL`` or ``HIDDEN`` (a suppressed group).
    styles: list[str | None] = field(default_factory=list)
    #: Shown under the table (e.g. why groups are hidden).
    note: str = ""

    def add(self, row: list, style: str | None = None) -> None:
        if len(row) != len(self.columns):
            raise ValueError(f"{self.name}: {len(row)} cells for {len(self.columns)} columns")
        self.rows.append(row)
        self.styles.append(style)

    def style_of(self, index: int) -> str | None:
        return self.styles[index] if index < len(self.styles) else None


def format_number(value, kind: str = "float", decimal_mark: str = ",") -> str:
    """A figure as people read it: ``3``, ``2,45``, ``38 %``; ``None`` as a dash."""
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if kind == "percent":
        return f"{round(value * 100)} %"
    if kind == "int" or (isinstance(value, int) and not isinstance(value, bool)):
        return f"{value:,}".replace(",", "\u202f") if abs(value) >= 10000 else str(value)
    text = f"{value:.2f}".rstrip("0").rstrip(".") if kind == "float" else str(value)
    return text.replace(".", decimal_mark)


def format_cell(value, column: Column, decimal_mark: str = ",") -> str:
    if value is None:
        return ""
    if column.kind == "text" or isinstance(value, str):
        return str(value)
    return format_number(value, column.kind, decimal_mark)


def neutralise(text: str) -> str:
    """Prefix a text that a spreadsheet would take for a formula with ``'`` (CSV formula injection)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def slug(text: str, limit: int = 40) -> str:
    """An ASCII file-name part: ``Erhalten – Zurücklassen`` → ``erhalten-zuruecklassen``."""
    replaced = text.lower()
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        replaced = replaced.replace(umlaut, spelled)
    cleaned = "".join(c if c.isascii() and c.isalnum() else "-" for c in replaced)
    parts = [part for part in cleaned.split("-") if part]
    return "-".join(parts)[:limit].strip("-") or "tabelle"
