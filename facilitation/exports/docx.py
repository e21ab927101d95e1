"""The Dokumentation as an editable Word document (DOCX), with the structure of the PDF.

The same chapters in the same order with the same headings as ``templates/results/dokumentation.html``:
a few example cards per cluster in the body, every card in the appendix ("Anhang: alle Karten") when
some are left out there (``tests/exports/test_exports_docx.py`` compares the headings with the PDF's
outline). Pure: no Flask app, no database. A4 (python-docx starts from US Letter), real Word headings (so the
table of contents and the navigation pane work), table header rows repeated on every page, the charts
as PNG (``raster``), the recommendations on landscape pages, "Seite X von Y" in the footer. Organisers
rework this file, so it uses Word's own styles instead of direct formatting wherever it can.
"""

import io

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from facilitation.exports import raster
from facilitation.exports.collect import Block, CardGroup, Question, Report
from facilitation.exports.tables import HIDDEN, TOTAL, Table, format_cell

FONT = "Arial"
INK = RGBColor(0x1B, 0x26, 0x30)
SOFT = RGBColor(0x3D, 0x4B, 0x57)
ACCENT = RGBColor(0x0B, 0x4F, 0x6C)
HEADER_FILL = "E2EDF2"
PORTRAIT_WIDTH = Mm(210) - Mm(22) - Mm(20)
LANDSCAPE_WIDTH = Mm(297) - Mm(18) - Mm(18)


def write(report: Report) -> bytes:
    """The Dokumentation as DOCX bytes."""
    document = Document()
    _setup(document, report)
    _title_page(document, report)
    _contents(document, report)
    _body(document, report)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# -- page, styles, fields ---------------------------------------------------------------------------------


def _setup(document, report: Report) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(22), Mm(22)
    section.left_margin, section.right_margin = Mm(22), Mm(20)
    section.different_first_page_header_footer = True
    language = "de-DE" if report.language == "de" else "en-GB"
    styles = document.styles
    normal = styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(10.5)
    normal.font.color.rgb = INK
    normal.paragraph_format.space_after = Pt(5)
    normal.paragraph_format.line_spacing = 1.15
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), language)
    normal.element.get_or_add_rPr().append(lang)
    for name, size, colour in (
        ("Title", 26, INK),
        ("Heading 1", 16, INK),
        ("Heading 2", 12.5, INK),
        ("Heading 3", 10.5, INK),
    ):
        style = styles[name]
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.color.rgb = colour
        style.font.bold = True
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attribute), None)  # the theme's font would win over ours
        for attribute in ("w:ascii", "w:hAnsi", "w:cs"):
            fonts.set(qn(attribute), FONT)
    styles["Heading 1"].paragraph_format.space_before = Pt(18)
    styles["Heading 1"].paragraph_format.space_after = Pt(8)
    styles["Heading 2"].paragraph_format.space_before = Pt(14)
    styles["Heading 3"].paragraph_format.space_before = Pt(10)
    styles["Title"].paragraph_format.space_after = Pt(6)
    caption = styles["Caption"]
    caption.font.color.rgb = SOFT
    caption.font.size = Pt(8.5)
    caption.font.italic = False
    caption.font.bold = False
    # Hyphenate automatically, as the PDF does; Word asks to update the contents' page numbers on opening.
    settings = document.settings.element
    for tag in ("w:autoHyphenation", "w:updateFields"):
        element = OxmlElement(tag)
        element.set(qn("w:val"), "true")
        settings.append(element)
    document.core_properties.title = report.workshop["title"]
    document.core_properties.subject = report.labels["document"]
    document.core_properties.author = report.workshop["organiser"] or "facilitation"
    document.core_properties.language = language
    _header_footer(section, report)


SECTION_PROPERTIES = qn("w:sectPr")
#: Style ids by name, from python-docx's default template (the same in every document it starts).
_STYLE_IDS: dict[str, str] = {}


def _add(document, text: str = "", style: str | None = None):
    """``document.add_paragraph``, in constant time: python-docx looks the style up by name on every
    call (a scan of all styles) and searches the whole body for its section properties before it
    inserts (quadratic in the paragraphs): minutes instead of seconds for a few thousand cards."""
    body = document.element.body
    element = OxmlElement("w:p")
    try:
        last = body[-1]  # from the end: lxml's len() would count every child
    except IndexError:
        last = None
    if last is not None and last.tag == SECTION_PROPERTIES:
        last.addprevious(element)
    else:
        body.append(element)
    paragraph = Paragraph(element, document._body)
    if text:
        paragraph.add_run(text)
    if style is not None:
        if style not in _STYLE_IDS:
            _STYLE_IDS[style] = document.styles[style].style_id
        paragraph._p.style = _STYLE_IDS[style]
    return paragraph


def _fld_char(paragraph, kind: str) -> None:
    element = OxmlElement("w:fldChar")
    element.set(qn("w:fldCharType"), kind)
    paragraph.add_run()._r.append(element)


def _field_start(paragraph, instruction: str) -> None:
    _fld_char(paragraph, "begin")
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    paragraph.add_run()._r.append(text)
    _fld_char(paragraph, "separate")


def _field_end(paragraph) -> None:
    _fld_char(paragraph, "end")


def _field(paragraph, instruction: str, placeholder: str = "") -> None:
    """A Word field (PAGE, NUMPAGES …) that Word fills in, showing ``placeholder`` until then."""
    _field_start(paragraph, instruction)
    paragraph.add_run(placeholder)
    _field_end(paragraph)


def _header_footer(section, report: Report) -> None:
    header = section.header.paragraphs[0]
    header.text = f"{report.workshop['title']} · {report.labels['document']}"
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _small(header, SOFT)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    footer.add_run(f"{report.labels['page']} ")
    _field(footer, "PAGE", "1")
    footer.add_run(f" {report.labels['of']} ")
    _field(footer, "NUMPAGES", "1")
    _small(footer, SOFT)


def _small(paragraph, colour=SOFT, size: float = 8) -> None:
    for run in paragraph.runs:
        run.font.size = Pt(size)
        run.font.color.rgb = colour


def _shade(cell, fill: str) -> None:
    properties = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)


def _repeat_header(row) -> None:
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _keep_row_together(row) -> None:
    properties = row._tr.get_or_add_trPr()
    properties.append(OxmlElement("w:cantSplit"))


# -- parts ---------------------------------------------------------------------------------------------------


def _title_page(document, report: Report) -> None:
    t, w = report.labels, report.workshop
    for _ in range(5):
        _add(document)
    kicker = _add(document, (w["organiser"] or t["document"]).upper())
    _small(kicker, ACCENT, 11)
    kicker.runs[0].bold = True
    _add(document, w["title"], "Title")
    subtitle = _add(document, t["document"])
    _small(subtitle, SOFT, 16)
    _add(document)
    facts = [
        (t["date"], w["date"]),
        (t["venue"], w["venue"]),
        (t["organiser"], w["organiser"]),
        (t["team"], ", ".join(report.team)),
    ]
    facts = [(label, value) for label, value in facts if value]
    if facts:
        table = document.add_table(rows=0, cols=2)
        for label, value in facts:
            cells = table.add_row().cells
            cells[0].text, cells[1].text = label, value
            cells[0].paragraphs[0].runs[0].bold = True
            cells[0].width, cells[1].width = Cm(3.5), Cm(12)
        table.columns[0].width, table.columns[1].width = Cm(3.5), Cm(12)
    for _ in range(8):
        _add(document)
    note = _add(document, t["privacy"])
    _small(note, SOFT, 8.5)
    generated = _add(document, f"{t['generated']}: {report.generated}")
    _small(generated, SOFT, 8.5)
    _add(document).add_run().add_break(WD_BREAK.PAGE)


def _has_appendix(report: Report) -> bool:
    """Whether the body leaves cards out (more than ``collect.EXAMPLES`` in a group), as the PDF decides."""
    return any(group.more for question in report.questions for group in question.groups)


def _chapters(report: Report) -> list[str]:
    """The chapter titles, in the order ``_body`` writes them."""
    t = report.labels
    chapters = [t["aims"]]
    chapters += [t["context"]] if report.context else []
    chapters += [t["method"], t["participation"]]
    chapters += [t["questions"]] if report.questions else []
    chapters += [t["votes"]] if report.votes else []
    chapters += [t["recommendations"]] if report.recommendations else []
    chapters += [t["open_questions"], t["next_steps"]]
    return [*chapters, t["appendix"]] if _has_appendix(report) else chapters


def _contents(document, report: Report) -> None:
    """A table of contents field; until Word updates it (it asks on opening) it lists the chapters."""
    heading = _add(document, report.labels["contents"])
    heading.runs[0].bold = True
    heading.runs[0].font.size = Pt(16)
    entries = [f"{number}  {title}" for number, title in enumerate(_chapters(report), start=1)]
    first = _add(document)
    # Chapters only, as the PDF's contents: level 2 would bring in every question of the appendix.
    _field_start(first, 'TOC \\o "1-1" \\h \\z \\u')
    first.add_run(entries[0])
    last = first
    for entry in entries[1:]:
        last = _add(document, entry)
    _field_end(last)
    _add(document).add_run().add_break(WD_BREAK.PAGE)


def _blocks(document, blocks: list[Block]) -> None:
    for block in blocks:
        if block.text:
            _add(document, block.text)
        for item in block.items:
            _add(document, item, "List Bullet")


def _note(document, text: str) -> None:
    if text:
        _small(_add(document, text), SOFT, 8.5)


def _picture(document, svg: str, alt: str, width) -> None:
    document.add_picture(io.BytesIO(raster.png(svg)), width=width)
    inline = document.inline_shapes[-1]._inline
    inline.docPr.set("descr", alt)
    document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER


def _table(
    document, report: Report, table: Table, width, *, title: bool = True, short: bool = False, size: float = 8.5
) -> None:
    if title:
        _add(document, table.title, "Heading 3")
    total = sum(column.width for column in table.columns)
    widths = [int(width * column.width / total) for column in table.columns]
    grid = document.add_table(rows=1, cols=len(table.columns))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.LEFT
    grid.autofit = False
    header = grid.rows[0]
    _repeat_header(header)
    for index, column in enumerate(table.columns):
        cell = header.cells[index]
        cell.text = column.short if short and column.short else column.label
        run = cell.paragraphs[0].runs[0]
        run.bold = True
        run.font.size = Pt(size)
        _shade(cell, HEADER_FILL)
        if column.kind != "text":
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for number, values in enumerate(table.rows):
        style = table.style_of(number)
        row = grid.add_row()
        _keep_row_together(row)
        for index, (value, column) in enumerate(zip(values, table.columns, strict=True)):
            cell = row.cells[index]
            lines = format_cell(value, column, report.decimal_mark).split("\n")
            paragraph = cell.paragraphs[0]
            for line_number, line in enumerate(lines):
                run = paragraph.add_run(line)
                if line_number < len(lines) - 1:
                    run.add_break()
                run.font.size = Pt(size)
                run.bold = style == TOTAL
                run.italic = style == HIDDEN
                if style == HIDDEN:
                    run.font.color.rgb = SOFT
            if column.kind != "text":
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for index, column_width in enumerate(widths):
        grid.columns[index].width = column_width
        for cell in grid.columns[index].cells:
            cell.width = column_width
    for row in grid.rows:
        for cell in row.cells:
            cell.paragraphs[0].paragraph_format.space_after = Pt(0)
    if short:
        legend = [f"{c.short} {c.label}" for c in table.columns if c.short]
        if legend:
            _note(document, " · ".join(legend))
    _note(document, table.note)


def _heading(document, number: str, text: str, level: int) -> None:
    _add(document, f"{number} {text}", f"Heading {level}")


def _new_section(document, landscape: bool) -> None:
    section = document.add_section(WD_SECTION.NEW_PAGE)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
        section.left_margin = section.right_margin = Mm(18)
        section.top_margin = section.bottom_margin = Mm(18)
    else:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(22), Mm(22)
        section.left_margin, section.right_margin = Mm(22), Mm(20)
    section.different_first_page_header_footer = False


def _body(document, report: Report) -> None:
    t = report.labels
    number = 0

    def chapter(title: str) -> str:
        nonlocal number
        number += 1
        _heading(document, str(number), title, 1)
        return str(number)

    chapter(t["aims"])
    _blocks(document, report.aims)
    if report.context:
        chapter(t["context"])
        for info in report.context:
            _add(document, info.title, "Heading 2")
            _blocks(document, info.blocks)
            for value, label in info.figures:
                paragraph = _add(document, style="List Bullet")
                paragraph.add_run(value).bold = True
                paragraph.add_run(f" {label}")
    chapter(t["method"])
    for line in report.method:
        _add(document, line)
    _table(document, report, report.agenda, PORTRAIT_WIDTH)

    chapter(t["participation"])
    for label, value in report.figures:
        paragraph = _add(document, style="List Bullet")
        paragraph.add_run(str(value)).bold = True
        paragraph.add_run(f" {label}")
    for table in report.participation:
        _table(document, report, table, int(PORTRAIT_WIDTH * 0.7))

    if report.questions:
        prefix = chapter(t["questions"])
        for index, question in enumerate(report.questions, start=1):
            _heading(document, f"{prefix}.{index}", question.title, 2)
            if question.prompt:
                quote = _add(document, question.prompt, "Quote")
                quote.paragraph_format.space_after = Pt(4)
            meta = f"{question.count} {t['cards']}"
            if question.is_clustered:
                meta += f" · {t['clustered_in']} „{question.board}“"
            _note(document, meta)
            if not question.groups:
                _add(document, t["no_cards"])
            for group in question.groups:
                # The label, and right-aligned on the same line the mentions, as the PDF's cluster boxes.
                heading = _add(document, style="Heading 3")
                heading.paragraph_format.tab_stops.add_tab_stop(PORTRAIT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
                heading.add_run(group.label)
                count = heading.add_run(f"\t{group.mentions}")
                count.bold = False
                count.font.size = Pt(8.5)
                count.font.color.rgb = SOFT
                for card in group.examples:
                    _card(question, group, card, _add(document, card["text"], "List Bullet"))
                if group.more:
                    _note(document, f"+ {group.more} {t['more_cards']}")
            if question.matrix:
                _table(document, report, question.matrix, PORTRAIT_WIDTH)

    if report.votes:
        prefix = chapter(t["votes"])
        for index, vote in enumerate(report.votes, start=1):
            _heading(document, f"{prefix}.{index}", vote.title, 2)
            if vote.prompt:
                _add(document, vote.prompt, "Quote")
            _note(document, f"{vote.rules} {t['ballots']}: {vote.ballots}")
            _picture(document, vote.chart_svg, vote.chart_alt, PORTRAIT_WIDTH)
            _table(document, report, vote.results, PORTRAIT_WIDTH, title=False)
            _note(document, vote.reach_note)
            for position, breakdown in enumerate(vote.breakdowns):
                _add(document, t["breakdown_organisation"] if position == 0 else t["breakdown_role"], "Heading 3")
                _table(document, report, breakdown, PORTRAIT_WIDTH, title=False, short=True, size=8)

    if report.recommendations:
        _new_section(document, landscape=True)
        chapter(t["recommendations"])
        _table(document, report, report.recommendations, LANDSCAPE_WIDTH, title=False, size=8)
        if report.consent_chart_svg:
            _add(document, t["consent"], "Heading 2")
            _picture(document, report.consent_chart_svg, report.consent_chart_alt, int(LANDSCAPE_WIDTH * 0.75))
        for breakdown in report.consent_breakdowns:
            _table(document, report, breakdown, LANDSCAPE_WIDTH, short=True, size=8)
        _new_section(document, landscape=False)

    chapter(t["open_questions"])
    for item in report.open_questions:
        _add(document, item, "List Bullet")
    if not report.open_questions:
        _add(document, t["none_open"])
    chapter(t["next_steps"])
    if report.next_steps:
        _table(document, report, report.next_steps, PORTRAIT_WIDTH, title=False)
    else:
        _add(document, t["none_next"])

    if _has_appendix(report):
        _add(document).add_run().add_break(WD_BREAK.PAGE)
        chapter(t["appendix"])
        _appendix(document, report)


def _card(question: Question, group: CardGroup, card: dict, paragraph) -> None:
    """The card's column as a tag after its text, where the group is not that column."""
    if question.columns and group.kind != "column" and card["column"]:
        tag = paragraph.add_run(f"  [{card['column']}]")
        tag.font.color.rgb = ACCENT
        tag.font.size = Pt(8.5)


def _appendix(document, report: Report) -> None:
    """Every card of every group, numbered: plain paragraphs, quick for thousands of cards."""
    for question in report.questions:
        _add(document, question.title, "Heading 2")
        for group in question.groups:
            heading = _add(document, group.label, "Heading 3")
            count = heading.add_run(f" {group.count}")
            count.bold = False
            count.font.size = Pt(8.5)
            count.font.color.rgb = SOFT
            for number, card in enumerate(group.cards, start=1):
                paragraph = _add(document, f"{number}. {card['text']}")
                paragraph.paragraph_format.space_after = Pt(1)
                paragraph.paragraph_format.left_indent = Cm(0.6)
                paragraph.paragraph_format.first_line_indent = Cm(-0.6)
                for run in paragraph.runs:
                    run.font.size = Pt(9)
                _card(question, group, card, paragraph)
