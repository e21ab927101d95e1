"""Read the exported files back with real readers (pypdf, python-docx, openpyxl, csv, json)."""

import csv
import io
import json
import re
import zipfile

import docx
import openpyxl
from pypdf import PdfReader


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page, hyphenation at line ends undone."""
    reader = PdfReader(io.BytesIO(data))
    return [re.sub("\u2010\n", "", page.extract_text()) for page in reader.pages]


def pdf_lines(data: bytes) -> list[str]:
    return [line.strip() for page in pdf_pages(data) for line in page.splitlines()]


def docx_document(data: bytes):
    return docx.Document(io.BytesIO(data))


def docx_tables(data: bytes) -> list[list[list[str]]]:
    return [[[cell.text for cell in row.cells] for row in table.rows] for table in docx_document(data).tables]


def docx_text(data: bytes) -> str:
    document = docx_document(data)
    parts = [p.text for p in document.paragraphs]
    parts += ["\t".join(row) for table in docx_tables(data) for row in table]
    return "\n".join(parts)


def xlsx_book(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def xlsx_rows(data: bytes) -> dict[str, list[tuple]]:
    book = xlsx_book(data)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def csv_files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def csv_rows(raw: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def zip_xml(data: bytes) -> str:
    """Every XML part of an Office file, as one string (what a careless reader would see too)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "\n".join(archive.read(n).decode("utf-8") for n in archive.namelist() if n.endswith(".xml"))


def everything(fmt: str, data: bytes) -> str:
    """All the text a file holds, however it is stored."""
    if fmt == "pdf":
        return "\n".join(pdf_pages(data))
    if fmt == "docx":
        return docx_text(data) + zip_xml(data)
    if fmt == "xlsx":
        cells = [str(v) for rows in xlsx_rows(data).values() for row in rows for v in row if v is not None]
        return "\n".join(cells) + zip_xml(data)
    if fmt == "csv":
        return "\n".join(raw.decode("utf-8-sig") for raw in csv_files(data).values())
    return json.dumps(json.loads(data), ensure_ascii=False)
