"""The DOCX follows the PDF's chapters: same headings in the same order, the appendix with every card."""

import io
from html.parser import HTMLParser

import pytest
from pypdf import PdfReader

from facilitation.exports import collect, docx, pdf
from tests.exports.readers import docx_document
from tests.exports.test_exports_formats import mentions, visible_texts

HEADING_STYLES = {"Heading 1": 1, "Heading 2": 2, "Heading 3": 3}


def pdf_outline(data: bytes) -> list[str]:
    """The PDF's bookmarks (WeasyPrint makes one per h1–h3), in document order."""
    titles = []

    def walk(items) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(item.title)

    walk(PdfReader(io.BytesIO(data)).outline)
    return titles


class _Headings(HTMLParser):
    """The level of each h1–h3 in the template's output, title page and table of contents left out."""

    def __init__(self) -> None:
        super().__init__()
        self.levels: list[int] = []

    def handle_starttag(self, tag, attrs) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag in ("h1", "h2", "h3") and not {"title", "toc-title"} & set(classes):
            self.levels.append(int(tag[1]))


def template_levels(report: collect.Report) -> list[int]:
    parser = _Headings()
    parser.feed(pdf.html(report))
    return parser.levels


def docx_headings(data: bytes) -> list[tuple[int, str]]:
    document = docx_document(data)
    return [(HEADING_STYLES[p.style.name], p.text) for p in document.paragraphs if p.style.name in HEADING_STYLES]


def as_in_pdf_outline(text: str) -> str:
    """A DOCX heading as the PDF's bookmark reads: a cluster's "label<TAB>n Nennungen" is
    "label (n Nennungen)" in the PDF's outline."""
    label, tab, count = text.partition("\t")
    return f"{label} ({count})" if tab else text


def paragraphs_between(document, start: str, end: str | None) -> list:
    texts = list(document.paragraphs)
    first = next(i for i, p in enumerate(texts) if p.text == start)
    last = next((i for i, p in enumerate(texts) if p.text == end), len(texts)) if end else len(texts)
    return texts[first + 1 : last]


@pytest.mark.parametrize("examples", [collect.EXAMPLES, 1], ids=["all-in-body", "with-appendix"])
def test_docx_headings_are_the_pdfs_chapters(forum, monkeypatch, examples):
    """Same chapters, sub-chapters and group headings, in the same order and at the same levels."""
    monkeypatch.setattr(collect, "EXAMPLES", examples)
    report = collect.collect(forum.workshop)
    data = docx.write(report)
    headings = docx_headings(data)
    outline = pdf_outline(pdf.write(report))
    # The PDF's first two bookmarks are the title page and its table of contents.
    assert outline[:2] == [forum.workshop.title, "Inhalt"]
    assert [as_in_pdf_outline(text) for _level, text in headings] == outline[2:]
    assert [level for level, _text in headings] == template_levels(report)
    chapters = [text for level, text in headings if level == 1]
    has_appendix = examples == 1
    assert (chapters[-1] == "10 Anhang: alle Karten") is has_appendix
    assert chapters[-2 if has_appendix else -1] == "9 Nächste Schritte"
    # The table of contents (until Word updates its field) lists the same chapters.
    paragraphs = docx_document(data).paragraphs
    entries = [p.text.replace("  ", " ", 1) for p in paragraphs if p.style.name not in HEADING_STYLES]
    assert [entry for entry in entries if entry in chapters] == chapters


def test_docx_body_shows_examples_and_the_appendix_every_card(forum, monkeypatch):
    """As in the PDF: two cards per group in the body and "+ n weitere Karten im Anhang"; the appendix
    lists every visible card, numbered, under its question and group with the count from the database."""
    monkeypatch.setattr(collect, "EXAMPLES", 2)
    document = docx_document(docx.write(collect.collect(forum.workshop)))
    body = paragraphs_between(document, "5 Ergebnisse je Leitfrage", "6 Priorisierung")
    appendix = paragraphs_between(document, "10 Anhang: alle Karten", None)
    cards = visible_texts(forum.workshop)

    groups: dict[tuple[str, str], list[str]] = {}
    for paragraph in body:
        if paragraph.style.name == "Heading 2":
            question = paragraph.text.split(" ", 1)[1]
        elif paragraph.style.name == "Heading 3":
            group = groups.setdefault((question, paragraph.text.split("\t")[0]), [])
        elif paragraph.style.name in ("List Bullet", "Normal") and groups:
            group.append(paragraph.text)
    for question in ("Ziele 2025–2030", "Erhalten – Zurücklassen – Neu gestalten"):
        for label, count in mentions(forum, question).items():
            shown = groups[(question, label)]
            assert len([text for text in shown if text in cards or text.split("  [")[0] in cards]) == min(count, 2)
            assert (f"+ {count - 2} weitere Karten im Anhang" in shown) is (count > 2)

    headings = [(p.style.name, p.text) for p in appendix if p.style.name.startswith("Heading")]
    assert [text for style, text in headings if style == "Heading 2"] == [
        "Ziele 2025–2030",
        "Erhalten – Zurücklassen – Neu gestalten",
    ]
    first_question = headings[1 : headings.index(("Heading 2", "Erhalten – Zurücklassen – Neu gestalten"))]
    for label, count in mentions(forum, "Ziele 2025–2030").items():
        assert ("Heading 3", f"{label} {count}") in first_question
    listed = [p.text for p in appendix if p.style.name == "Normal" and p.text]
    assert len(listed) == len(cards)
    for card in cards:
        assert any(text.split(". ", 1)[1].startswith(card) for text in listed), card
    # Numbered from 1 in each group.
    assert listed[0].startswith("1. ")
    # Editable: real Word headings on A4, the appendix in the portrait section.
    assert all(p.style.name != "Title" for p in appendix)
    last = document.sections[-1]
    assert (round(last.page_width.mm), round(last.page_height.mm)) == (210, 297)
