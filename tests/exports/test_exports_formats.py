"""Every download read back with a real reader and checked against the database."""

import re
import shutil
from io import BytesIO

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader
from sqlalchemy import func, select

from facilitation.clustering.models import Cluster, Placement
from facilitation.exports import collect, pdf, services
from facilitation.extensions import db
from facilitation.participation.models import Card, CardStatus
from facilitation.voting import services as voting_services
from facilitation.voting.models import Ballot, BallotEntry
from tests.exports.conftest import FORMULA_CARD
from tests.exports.readers import (
    csv_files,
    csv_rows,
    docx_document,
    docx_tables,
    docx_text,
    everything,
    pdf_lines,
    pdf_pages,
    xlsx_book,
    xlsx_rows,
    zip_xml,
)

FORMATS = list(services.FORMATS)


def export(forum, fmt: str) -> bytes:
    return services.export_workshop(forum.workshop, fmt).data


def visible_texts(workshop) -> list[str]:
    steps = [a.id for a in workshop.activities]
    return list(
        db.session.scalars(select(Card.text).where(Card.activity_id.in_(steps), Card.status == CardStatus.visible))
    )


def mentions(forum, question: str) -> dict[str, int]:
    """Visible cards of a question per cluster, counted in SQL."""
    step = forum.steps[question]
    return dict(
        db.session.execute(
            select(Cluster.label, func.count(Placement.id))
            .join(Placement, Placement.cluster_id == Cluster.id)
            .join(Card, Card.id == Placement.card_id)
            .where(Card.activity_id == step.id, Card.status == CardStatus.visible)
            .group_by(Cluster.label)
        ).all()
    )


def entry_count(workshop) -> int:
    steps = [a.id for a in workshop.activities]
    return db.session.scalar(select(func.count(BallotEntry.id)).join(Ballot).where(Ballot.activity_id.in_(steps)))


def assert_small_group_hidden(cells: list[str]) -> None:
    """A row of the single "Politik" person: its label, "< 5", and nothing else."""
    assert cells[0] == "Politik"
    assert [c for c in cells[1:] if c not in ("", None)] == ["< 5"]


# -- what no file may contain ---------------------------------------------------------------------------


def assert_nothing_private(forum, text: str) -> None:
    """No tokens or their hashes, no addresses, no screen key, no withdrawn or refused card."""
    for participant, token in zip(forum.people, forum.tokens, strict=True):
        assert token not in text
        assert participant.token_hash not in text
    for gone in ("Abgelehnte Karte XYZ", "Zurückgezogen QQQ"):
        assert gone not in text
    assert "owner@example.org" not in text and "max@example.org" not in text
    assert forum.workshop.screen_key not in text


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "pdf"])  # the PDF: test_pdf_dokumentation_…
def test_no_file_holds_tokens_addresses_or_cards_taken_back(forum, fmt):
    assert_nothing_private(forum, everything(fmt, export(forum, fmt)))


def politik_rows_of_pdf(data: bytes) -> list[list[str]]:
    lines = pdf_lines(data)
    return [["Politik", line.removeprefix("Politik").strip()] for line in lines if line.startswith("Politik")]


@pytest.mark.parametrize("fmt", ["docx", "xlsx", "csv"])  # the PDF: test_pdf_dokumentation_…
def test_groups_below_k_show_no_figures(forum, fmt):
    """The single "Politik" person (k = 5) appears only as "< 5", in every table of every format."""
    data = export(forum, fmt)
    if fmt == "docx":
        rows = [row for table in docx_tables(data) for row in table if row[0] == "Politik"]
    elif fmt == "xlsx":
        rows = [[str(v) if v is not None else "" for v in row] for sheet in xlsx_rows(data).values() for row in sheet]
        rows = [row for row in rows if row and row[0] == "Politik"]
    else:
        rows = [row for raw in csv_files(data).values() for row in csv_rows(raw) if row and row[0] == "Politik"]
    # Participation by organisation and the dot vote's breakdown by organisation; the ranking had no Politik voter.
    assert len(rows) >= 2
    for row in rows:
        assert_small_group_hidden(row)


def test_the_archive_keeps_no_profile_of_a_group_below_k(forum):
    archive = services.archive.loads(export(forum, "json"))
    profiles = {(p["organisation"], p["role"]) for p in archive["participants"]}
    # Politik (1 person) and the role Leitung (4 people) are below k: nobody has them any more.
    assert not any(org == "Politik" or role == "Leitung" for org, role in profiles)
    counts = {profile: 0 for profile in profiles}
    for p in archive["participants"]:
        counts[(p["organisation"], p["role"])] += 1
    assert all(count >= 5 for profile, count in counts.items() if profile != (None, None))


# -- PDF ---------------------------------------------------------------------------------------------------


def test_pdf_dokumentation_matches_the_database(forum):
    """Content against the database, small groups hidden, nothing private; A4, tagged, German, our font."""
    data = export(forum, "pdf")
    pages = pdf_pages(data)
    assert_nothing_private(forum, "\n".join(pages))
    politik = politik_rows_of_pdf(data)
    assert len(politik) >= 2
    for row in politik:
        assert_small_group_hidden(row)
    text = " ".join(" ".join(pages).split())
    workshop = forum.workshop
    for expected in (
        workshop.title,
        "Bündnis Kinderschutz MV",
        "2. Oktober 2025",
        "Güstrow, Bürgerhaus",
        "Max Moderator, Olga Owner",
    ):
        assert expected in text
    for heading in (
        "Ziele und Leitfragen",
        "Ablauf und Methode",
        "Beteiligung",
        "Ergebnisse je Leitfrage",
        "Priorisierung",
        "Handlungsempfehlungen",
        "Offene Fragen",
        "Nächste Schritte",
    ):
        assert heading in text
    for card in visible_texts(workshop):
        assert card in text
    for question in ("Ziele 2025–2030", "Erhalten – Zurücklassen – Neu gestalten"):
        for label, count in mentions(forum, question).items():
            assert f"{label}" in text and (f"{count} Nennungen" in text or f"{count} Nennung" in text)
    lines = pdf_lines(data)
    dots = voting_services.results(forum.steps["Zukunftsthemen"])
    for number, option in enumerate(dots["options"], start=1):
        assert any(
            line.startswith(f"{number} {option['rank']} {option['label']} {option['total']} {option['voters']}")
            for line in lines
        ), option
    for recommendation in forum.recommendations:
        assert recommendation.topic in text
    assert "Erst die Finanzierung klären" in text  # the dissent, under open questions
    assert "Konsens (6 Antworten, Ø 4,2)" in text

    reader = PdfReader(BytesIO(data))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "de"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert b"pdfuaid" in root["/Metadata"].get_object().get_data()
    sizes = [(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages]
    assert sizes[0] == (595, 842)
    assert (842, 595) in sizes  # the recommendations on a landscape page
    assert {"DejaVu Sans", "DejaVu Sans Bold"} <= pdf_font_names(data)
    assert reader.metadata.title.startswith(forum.workshop.title)


def test_pdf_repeats_table_headers_on_every_page(forum):
    report = collect.collect(forum.workshop)
    for number in range(70):
        report.agenda.add([number + 10, f"Zusatzschritt {number}", "Information", "Eine lange Zeile zum Umbrechen"])
    pages = pdf_pages(pdf.write(report))
    with_header = [page for page in pages if "Nr. Schritt Art Frage oder Auftrag" in page]
    assert len(with_header) >= 2


def test_pdf_font_is_installed_with_the_app():
    """No system font needed: the DejaVu files and their licence come from npm into static/vendor/dejavu."""
    assert pdf.DEFAULT_FONT_DIR.is_relative_to(pdf.ROOT / "static" / "vendor")
    assert all(url.startswith(pdf.DEFAULT_FONT_DIR.as_uri()) for url in pdf.fonts().values())
    assert "Bitstream Vera" in (pdf.DEFAULT_FONT_DIR / "LICENSE").read_text()


def pdf_font_names(data: bytes) -> set[str]:
    """Full names (from the embedded files' name tables) of the fonts of every page and of every form
    (the charts are drawn as forms)."""
    names = set()

    def visit(resources) -> None:
        for font in resources.get("/Font", {}).values():
            font = font.get_object()
            if "/DescendantFonts" in font:
                font = font["/DescendantFonts"][0].get_object()
            embedded = font["/FontDescriptor"].get_object()["/FontFile2"].get_data()
            names.add(TTFont(BytesIO(embedded))["name"].getDebugName(4))
        for form in resources.get("/XObject", {}).values():
            visit(form.get_object().get("/Resources", {}))

    for page in PdfReader(BytesIO(data)).pages:
        visit(page["/Resources"])
    return names


def test_pdf_text_and_charts_use_the_font_files_named(forum, tmp_path):
    """The files are really used, not the system's sans-serif: a folder whose "DejaVuSans.ttf" is the
    serif face gives a PDF in which body text and chart labels are set in it."""
    for name in pdf.FONT_FILES.values():
        shutil.copy(pdf.DEFAULT_FONT_DIR / name, tmp_path / name)
    shutil.copy(pdf.DEFAULT_FONT_DIR / "DejaVuSans-Oblique.ttf", tmp_path / "DejaVuSans.ttf")
    names = pdf_font_names(pdf.write(collect.collect(forum.workshop), tmp_path))
    assert "DejaVu Sans Oblique" in names and "DejaVu Sans" not in names, names
    names = pdf_font_names(pdf.write(collect.collect(forum.workshop)))
    assert {"DejaVu Sans", "DejaVu Sans Bold", "DejaVu Sans Condensed Bold"} <= names, names


def test_pdf_says_which_package_is_missing_without_the_font(forum, tmp_path):
    with pytest.raises(pdf.FontMissing, match="fonts-dejavu-core"):
        pdf.write(collect.collect(forum.workshop), tmp_path)


# -- DOCX --------------------------------------------------------------------------------------------------


def test_docx_has_the_structure_and_content_of_the_dokumentation(forum):
    data = export(forum, "docx")
    document = docx_document(data)
    text = docx_text(data)
    first = document.sections[0]
    assert (round(first.page_width.mm), round(first.page_height.mm)) == (210, 297)
    assert any(s.page_width > s.page_height for s in document.sections)  # recommendations in landscape
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings[:2] == ["1 Ziele und Leitfragen", "2 Ausgangslage"]
    assert "7 Handlungsempfehlungen" in headings and "9 Nächste Schritte" in headings
    # The table of contents is a Word field; until Word updates it, it lists the chapters.
    assert 'TOC \\o "1-1"' in zip_xml(data)
    assert [p.text for p in document.paragraphs if p.text.startswith(("1  ", "9  "))] == [
        "1  Ziele und Leitfragen",
        "9  Nächste Schritte",
    ]
    for card in visible_texts(forum.workshop):
        assert card in text
    for label, count in mentions(forum, "Ziele 2025–2030").items():
        assert f"{label}\t{count} Nennung" in text
    for recommendation in forum.recommendations:
        assert recommendation.text in text
    # One chart per vote and the consent chart, each with its figures in words for screen readers.
    assert len(document.inline_shapes) == 3
    descriptions = [shape._inline.docPr.get("descr") for shape in document.inline_shapes]
    assert all(d and d.startswith("Diagramm") for d in descriptions)
    # Table headers repeat on every page.
    for table in document.tables[1:]:
        assert (
            table.rows[0]._tr.trPr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblHeader")
            is not None
        )
    dots = voting_services.results(forum.steps["Zukunftsthemen"])
    results = next(t for t in docx_tables(data) if t[0][:3] == ["Nr.", "Rang", "Thema"])
    assert [(row[2], int(row[3])) for row in results[1:]] == [(o["label"], o["total"]) for o in dots["options"]]


# -- XLSX --------------------------------------------------------------------------------------------------


def test_xlsx_keeps_participant_text_as_text(forum):
    data = export(forum, "xlsx")
    book = xlsx_book(data)
    cells = [
        cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value == FORMULA_CARD
    ]
    assert cells, "the formula card is missing"
    assert all(cell.data_type == "s" for cell in cells)
    assert "<f>" not in zip_xml(data)  # no formula anywhere in the workbook
    for text in ("+Papierakten", "@Beteiligung von Kindern"):
        found = [c for s in book.worksheets for r in s.iter_rows() for c in r if c.value == text]
        assert found and all(c.data_type == "s" for c in found)


def test_xlsx_has_a_sheet_per_step_raw_sheets_and_native_charts(forum):
    data = export(forum, "xlsx")
    sheets = xlsx_rows(data)
    names = list(sheets)
    assert names[0] == "Übersicht"
    assert {"3 Ziele 2025–2030", "6 Zukunftsthemen", "7 Rangfolge der Themen", "8 Handlungsempfehlungen"} <= set(names)
    assert names[-4:] == ["Karten", "Stimmzettel", "Cluster", "Empfehlungen"]
    workshop = forum.workshop
    steps = [a.id for a in workshop.activities]
    shown = db.session.scalar(
        select(func.count(Card.id)).where(
            Card.activity_id.in_(steps),
            Card.status.in_((CardStatus.visible, CardStatus.hidden, CardStatus.pending)),
        )
    )
    assert len(sheets["Karten"]) - 1 == shown
    assert len(sheets["Stimmzettel"]) - 1 == entry_count(workshop)
    assert {row[3] for row in sheets["Karten"][1:]} == set(visible_texts(workshop))
    placed = db.session.scalar(select(func.count(Placement.id)))
    assert len(sheets["Cluster"]) - 1 == placed
    # Figures are numbers, not text, and agree with the tallies.
    dots = voting_services.results(forum.steps["Zukunftsthemen"])
    rows = sheets["6 Zukunftsthemen"]
    header = next(i for i, row in enumerate(rows) if row[:3] == ("Nr.", "Rang", "Thema"))
    figures = [(row[2], row[3]) for row in rows[header + 1 : header + 1 + len(dots["options"])]]
    assert figures == [(o["label"], o["total"]) for o in dots["options"]]
    xml_parts = zip_xml(data)
    assert xml_parts.count("<c:barChart>") == 2  # one native chart per vote


# -- CSV ----------------------------------------------------------------------------------------------------


def test_csv_zip_is_excel_ready_and_formula_safe(forum):
    files = csv_files(export(forum, "csv"))
    names = list(files)
    assert names[0] == "01_ablauf.csv"
    assert any(name.endswith("_karten.csv") for name in names)
    assert any(name.endswith("_stimmzettel.csv") for name in names)
    for raw in files.values():
        assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
        assert raw.split(b"\r\n")[0].count(b";") >= 1
    cards = csv_rows(next(raw for name, raw in files.items() if name.endswith("_karten.csv")))
    texts = [row[3] for row in cards[1:]]
    assert "'" + FORMULA_CARD in texts
    assert "'+Papierakten" in texts and "'@Beteiligung von Kindern" in texts
    assert not any(text[:1] in "=+-@" for text in texts)
    assert {t.removeprefix("'") for t in texts} == set(visible_texts(forum.workshop))
    ballots = csv_rows(next(raw for name, raw in files.items() if name.endswith("_stimmzettel.csv")))
    assert len(ballots) - 1 == entry_count(forum.workshop)
    ranking = next(raw for name, raw in files.items() if "ergebnis-7" in name)
    assert re.search(r";1,36;", ranking.decode("utf-8-sig"))  # decimal comma
