"""The raw data as CSV: a zip with one file per table, as German Excel opens them.

Pure: no Flask app, no database. UTF-8 with a byte order mark (Excel reads umlauts right), ``;`` as
the delimiter and the decimal comma (the German list separator and number format), and every text
that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR at the start) prefixed
with ``'``, so a card can never become a formula (CSV injection).
"""

import csv
import io
import zipfile

from facilitation.exports.collect import Report
from facilitation.exports.tables import Table, format_number, neutralise

ENCODING = "utf-8-sig"
DELIMITER = ";"


def cell(value, kind: str, decimal_mark: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str) or kind == "text":
        return neutralise(str(value))
    if kind == "percent":
        return format_number(round(value * 100, 1), "float", decimal_mark)
    if isinstance(value, float):
        return repr(value).replace(".", decimal_mark) if value != int(value) else str(int(value))
    return str(value)


def table_bytes(table: Table, decimal_mark: str = ",") -> bytes:
    """One table as CSV bytes: a header row and its rows."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=DELIMITER, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([neutralise(column.label) for column in table.columns])
    for row in table.rows:
        writer.writerow(
            [cell(value, column.kind, decimal_mark) for value, column in zip(row, table.columns, strict=True)]
        )
    return buffer.getvalue().encode(ENCODING)


def file_names(tables: list[Table]) -> list[str]:
    """``01_ablauf.csv``, ``02_beteiligung-organisation.csv`` …: in order, unique."""
    names, seen = [], set()
    for number, table in enumerate(tables, start=1):
        name = f"{number:02d}_{table.name}.csv"
        while name in seen:
            name = name.removesuffix(".csv") + "_2.csv"
        seen.add(name)
        names.append(name)
    return names


def write(report: Report) -> bytes:
    """The zip of CSV files."""
    tables = [report.agenda, *report.tables()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, table in zip(file_names(tables), tables, strict=True):
            archive.writestr(name, table_bytes(table, report.decimal_mark))
    return buffer.getvalue()
