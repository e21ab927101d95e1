"""Markup, script, Markdown, CSS, template syntax and formulas come out as text: on the results page and
in every download, read back with a real reader (the browser check is tests/browser/test_results_browser.py)."""

import html
import io
import json
import re
import subprocess
import zipfile

import pytest
from markupsafe import escape

from facilitation.exports import archive, collect, pdf, services
from facilitation.exports.tables import FORMULA_STARTS
from tests.exports import hostile
from tests.exports.readers import csv_files, csv_rows, docx_text, pdf_pages, xlsx_book, zip_xml

#: What no file or page may hold unescaped: any of the payloads' tags.
TAGS = re.compile(r"<(script|img|svg|style|b|i|u|h1|em)[\s>]", re.IGNORECASE)


@pytest.fixture
def hostile_forum(owner) -> hostile.Hostile:
    return hostile.build(owner)


def squeezed(text: str) -> str:
    """Text without whitespace: PDF and page layouts break lines where they like."""
    return re.sub(r"\s+", "", text)


def test_the_results_page_shows_markup_as_text(hostile_forum, client, login, owner):
    login(client, owner)
    page = client.get(f"/workshops/{hostile_forum.workshop.id}/results").get_data(as_text=True)
    for text in hostile_forum.texts:
        assert str(escape(text)) in page, text
        if "<" in text:
            assert text not in page, text


def test_the_vote_results_page_and_chart_show_markup_as_text(hostile_forum, client, login, owner):
    login(client, owner)
    vote = hostile_forum.steps[hostile.VOTE_TITLE]
    base = f"/workshops/{hostile_forum.workshop.id}/steps/{vote.id}"
    page = client.get(f"{base}/results").get_data(as_text=True)
    for text in (*hostile.OPTIONS[:2], hostile.VOTE_TITLE):
        assert str(escape(text)) in page, text
        assert "<" not in text or text not in page, text
    svg = client.get(f"{base}/chart.svg").get_data(as_text=True)
    assert "<script" not in svg and "<i>" not in svg
    assert "&lt;i&gt;Option&lt;/i&gt;" in svg


def test_the_pdf_shows_markup_and_formulas_as_text(hostile_forum):
    report = collect.collect(hostile_forum.workshop)
    source = pdf.html(report)
    assert "window.__xss" in source and "<script" not in source.lower()
    data = pdf.write(report)
    text = squeezed("".join(pdf_pages(data)))
    for payload in hostile_forum.texts:
        assert squeezed(payload) in text, payload
    # pdftotext (poppler) reads the same.
    poppler = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True)
    text = squeezed(poppler.stdout.decode())
    for payload in hostile.CARDS:
        assert squeezed(payload) in text, payload


def test_the_docx_shows_markup_and_formulas_as_text(hostile_forum):
    data = services.export_workshop(hostile_forum.workshop, "docx").data
    text = docx_text(data)
    for payload in hostile_forum.texts:
        assert payload in text, payload
    xml = zip_xml(data)
    assert "window.__xss" in xml and not TAGS.search(xml)
    fields = re.findall(r"<w:instrText[^>]*>([^<]*)<", xml)
    assert not [field for field in fields if "__xss" in field or field.strip().startswith(("=", "HYPERLINK"))]


def test_the_xlsx_keeps_every_payload_a_string(hostile_forum):
    data = services.export_workshop(hostile_forum.workshop, "xlsx").data
    book = xlsx_book(data)
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert "<f>" not in zip_xml(data)
    values = {cell.value for cell in cells if cell.data_type == "s"}
    for payload in hostile_forum.texts:
        assert payload in values, payload
    # The native chart's title and series name are references to cells of their own sheet, never a
    # text taken for a formula; the title reads as the vote's title.
    charts = chart_parts(data)
    assert charts
    sheets = {sheet.title for sheet in book.worksheets}
    for xml in charts:
        for reference in re.findall(r"<c:f>([^<]*)</c:f>", xml):
            sheet, cell = html.unescape(reference).rsplit("!", 1)
            assert sheet.strip("'").replace("''", "'") in sheets and re.fullmatch(r"(\$[A-Z]+\$\d+:?)+", cell), (
                reference
            )
    assert any(str(escape(hostile.VOTE_TITLE)) in xml for xml in charts)


def chart_parts(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/charts/chart")]


def test_the_csv_neutralises_formulas_and_keeps_markup(hostile_forum):
    files = csv_files(services.export_workshop(hostile_forum.workshop, "csv").data)
    cells = {cell for raw in files.values() for row in csv_rows(raw) for cell in row}
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
    for payload in hostile_forum.texts:
        if payload == hostile.TITLE:
            continue  # the tables have no title cell
        expected = "'" + payload if payload.startswith(FORMULA_STARTS) else payload
        assert expected in cells, payload


def test_the_archive_keeps_every_payload_verbatim(hostile_forum):
    data = json.loads(services.export_workshop(hostile_forum.workshop, "json").data)
    assert [c["text"] for c in data["cards"]] == hostile.CARDS
    assert {c["label"] for c in data["clusters"]} == set(hostile.CLUSTERS)
    [recommendation] = data["recommendations"]
    assert {name: recommendation[name] for name in hostile.RECOMMENDATION} == hostile.RECOMMENDATION
    assert hostile.TITLE in strings(data)


def strings(value) -> set[str]:
    """Every string anywhere in JSON data."""
    if isinstance(value, str):
        return {value}
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return {text for item in items for text in strings(item)}


def test_a_crafted_archive_cannot_smuggle_a_formula_into_a_spreadsheet(hostile_forum, owner):
    """Tab and CR are removed at input, but an archive carries texts as they are: the writers still neutralise."""
    data = archive.export_archive(hostile_forum.workshop)
    for card, text in zip(data["cards"], hostile.FORMULAS_RAW, strict=False):
        card["text"] = text
    copy = services.import_workshop(owner, archive.dumps(data))
    book = xlsx_book(services.export_workshop(copy, "xlsx").data)
    found = [c for s in book.worksheets for r in s.iter_rows() for c in r if c.value in hostile.FORMULAS_RAW]
    assert found and all(cell.data_type == "s" for cell in found)
    files = csv_files(services.export_workshop(copy, "csv").data)
    cells = {cell for raw in files.values() for row in csv_rows(raw) for cell in row}
    for text in hostile.FORMULAS_RAW:
        assert "'" + text in cells and text not in cells
