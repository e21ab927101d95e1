"""The raw data as an Excel workbook: an overview, a sheet per step (with a native chart for votes),
then the raw sheets (cards, ballots, clusters, recommendations).

Pure: no Flask app, no database. Every text goes through ``write_string``, so a card that starts with
``=`` stays text and never becomes a formula (openpyxl would write it as one); numbers stay numbers.
"""

import io

import xlsxwriter

from facilitation.exports.collect import Report
from facilitation.exports.tables import HIDDEN, TOTAL, Table

#: Characters Excel refuses in sheet names.
FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})
MAX_WIDTH = 60


def sheet_name(title: str, taken: set[str]) -> str:
    """A unique sheet name of at most 31 characters (Excel's limit), without the forbidden ones."""
    base = " ".join(title.translate(FORBIDDEN).split()).strip("'") or "Tabelle"
    name = base[:31]
    number = 2
    while name.lower() in taken:
        suffix = f" ({number})"
        name = base[: 31 - len(suffix)] + suffix
        number += 1
    taken.add(name.lower())
    return name


class _Writer:
    def __init__(self, report: Report):
        self.report = report
        self.buffer = io.BytesIO()
        self.book = xlsxwriter.Workbook(
            self.buffer,
            {
                "in_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        self.book.set_properties(
            {"title": f"{report.workshop['title']} – {report.labels['document']}", "comments": "facilitation"}
        )
        self.taken: set[str] = set()
        fmt = self.book.add_format
        self.formats = {
            "title": fmt({"bold": True, "font_size": 14}),
            "heading": fmt({"bold": True, "font_size": 11}),
            "header": fmt({"bold": True, "bg_color": "#E2EDF2", "bottom": 1, "text_wrap": True, "valign": "top"}),
            "text": fmt({"text_wrap": True, "valign": "top"}),
            "int": fmt({"num_format": "0", "valign": "top"}),
            "float": fmt({"num_format": "0.00", "valign": "top"}),
            "percent": fmt({"num_format": "0%", "valign": "top"}),
            "note": fmt({"italic": True, "font_color": "#3D4B57"}),
            "hidden": fmt({"italic": True, "font_color": "#5C6A75", "valign": "top"}),
            "total": fmt({"bold": True, "top": 1, "valign": "top"}),
            "label": fmt({"bold": True, "valign": "top"}),
        }

    def text(self, sheet, row: int, column: int, value, style: str = "text") -> None:
        sheet.write_string(row, column, str(value), self.formats[style])

    def value(self, sheet, row: int, column: int, value, kind: str, style: str | None) -> None:
        if value is None:
            sheet.write_blank(row, column, None, self.formats["text"])
        elif isinstance(value, bool | str) or kind == "text":
            self.text(sheet, row, column, value, style or "text")
        else:
            number_format = self.formats[kind] if style is None else self.formats[style]
            sheet.write_number(row, column, value, number_format)

    def table(
        self, sheet, table: Table, top: int, widths: dict[int, float], *, title: bool = True
    ) -> tuple[int, int, int]:
        """Write ``table`` from row ``top``; return the first free row after it, its header row and last row."""
        row = top
        if title:
            self.text(sheet, row, 0, table.title, "heading")
            row += 1
        header_row = row
        for index, column in enumerate(table.columns):
            self.text(sheet, row, index, column.label, "header")
            widths[index] = max(widths.get(index, 0), min(MAX_WIDTH, len(column.label) + 2))
        row += 1
        for number, values in enumerate(table.rows):
            style = table.style_of(number)
            cell_style = {HIDDEN: "hidden", TOTAL: "total"}.get(style)
            for index, (value, column) in enumerate(zip(values, table.columns, strict=True)):
                self.value(sheet, row, index, value, column.kind, cell_style)
                if value is not None:
                    widths[index] = max(widths.get(index, 0), min(MAX_WIDTH, len(str(value)) + 2))
            row += 1
        last_row = row - 1
        if table.note:
            self.text(sheet, row, 0, table.note, "note")
            row += 1
        return row + 1, header_row, last_row

    @staticmethod
    def widths(sheet, widths: dict[int, float]) -> None:
        for index, width in widths.items():
            sheet.set_column(index, index, max(8, width))

    # -- sheets ---------------------------------------------------------------------------------------------

    def overview(self) -> None:
        report, t = self.report, self.report.labels
        sheet = self.book.add_worksheet(sheet_name(t["overview"], self.taken))
        self.text(sheet, 0, 0, report.workshop["title"], "title")
        facts = [
            (t["organiser"], report.workshop["organiser"]),
            (t["date"], report.workshop["date"]),
            (t["venue"], report.workshop["venue"]),
            (t["team"], ", ".join(report.team)),
            (t["generated"], report.generated),
        ]
        row = 2
        for label, value in facts:
            if value:
                self.text(sheet, row, 0, label, "label")
                self.text(sheet, row, 1, value)
                row += 1
        row += 1
        self.text(sheet, row, 0, t["participation"], "heading")
        row += 1
        for label, value in report.figures:
            self.text(sheet, row, 0, label)
            sheet.write_number(row, 1, value, self.formats["int"])
            row += 1
        row += 1
        self.text(sheet, row, 0, t["privacy"], "note")
        widths = {0: 34, 1: 40}
        row += 2
        self.table(sheet, report.agenda, row, widths)
        self.widths(sheet, widths)

    def steps(self) -> None:
        for step in self.report.steps:
            sheet = self.book.add_worksheet(sheet_name(f"{step.position + 1} {step.title}", self.taken))
            self.text(sheet, 0, 0, step.title, "title")
            self.text(sheet, 1, 0, step.kind_label, "note")
            row = 2
            for line in step.lines:
                self.text(sheet, row, 0, line)
                row += 1
            row += 1
            widths: dict[int, float] = {}
            chart_at, spans = row, []
            for table in step.tables:
                row, header_row, last_row = self.table(sheet, table, row, widths)
                spans.append((header_row, last_row))
            self.widths(sheet, widths)
            if step.chart_values is not None and step.tables and step.tables[0].rows:
                first, last = spans[0][0] + 1, spans[0][1]
                self.chart(
                    sheet,
                    step.tables[0],
                    (first, last),
                    step.chart_categories,
                    step.chart_values,
                    (chart_at, len(widths) + 1),
                )

    def chart(self, sheet, table: Table, rows: tuple[int, int], categories: int, values: int, at: tuple[int, int]):
        """A native bar chart of a vote's results table (Excel redraws it when figures change)."""
        chart = self.book.add_chart({"type": "bar"})
        name = sheet.get_name()
        first, last = rows
        # Title and series name point at the table's own title and header cells: XlsxWriter reads a
        # text like "Achtung!ASD2025" as a reference, a cell's text is always only text.
        chart.add_series(
            {
                "name": [name, first - 1, values],
                "categories": [name, first, categories, last, categories],
                "values": [name, first, values, last, values],
                "fill": {"color": "#0B4F6C"},
                "data_labels": {"value": True},
            }
        )
        chart.set_title({"name": [name, first - 2, 0]})
        chart.set_legend({"none": True})
        chart.set_y_axis({"reverse": True})  # bars top-down in the table's order (best first)
        chart.set_size({"width": 720, "height": max(240, 40 * len(table.rows) + 80)})
        sheet.insert_chart(*at, chart)

    def raw(self) -> None:
        for table in self.report.raw:
            sheet = self.book.add_worksheet(sheet_name(table.title, self.taken))
            widths: dict[int, float] = {}
            self.table(sheet, table, 0, widths, title=False)
            self.widths(sheet, widths)
            sheet.freeze_panes(1, 0)
            if table.rows:
                sheet.autofilter(0, 0, len(table.rows), len(table.columns) - 1)

    def close(self) -> bytes:
        self.book.close()
        return self.buffer.getvalue()


def write(report: Report) -> bytes:
    """The workbook as XLSX bytes."""
    writer = _Writer(report)
    writer.overview()
    writer.steps()
    writer.raw()
    return writer.close()
