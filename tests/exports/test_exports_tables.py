"""The pure helpers of the exports: tables, numbers, file and sheet names, text blocks, formula safety."""

import pytest

from facilitation.exports import csv, pdf, xlsx
from facilitation.exports.collect import Block, blocks
from facilitation.exports.tables import HIDDEN, Column, Table, format_number, neutralise, slug


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=SUMME(A1)", "'=SUMME(A1)"),
        ("+49 30", "'+49 30"),
        ("-5 Grad", "'-5 Grad"),
        ("@Amt", "'@Amt"),
        ("\tTab", "'\tTab"),
        ("\rCR", "'\rCR"),
        ("Mehr Personal", "Mehr Personal"),
        ("a=b", "a=b"),
    ],
)
def test_text_a_spreadsheet_would_run_is_neutralised(text, expected):
    assert neutralise(text) == expected


def test_csv_cells_neutralise_text_but_not_numbers():
    assert csv.cell("=1+1", "text", ",") == "'=1+1"
    assert csv.cell(-3, "int", ",") == "-3"
    assert csv.cell(1.36, "float", ",") == "1,36"
    assert csv.cell(2.0, "float", ",") == "2"
    assert csv.cell(0.25, "percent", ",") == "25"
    assert csv.cell(None, "int", ",") == ""


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (3, "int", "3"),
        (2.456, "float", "2,46"),
        (2.0, "float", "2"),
        (0.384, "percent", "38 %"),
        (None, "int", "–"),
        (12345, "int", "12\u202f345"),
        ("< 5", "int", "< 5"),
    ],
)
def test_numbers_read_the_german_way(value, kind, expected):
    assert format_number(value, kind) == expected


def test_slugs_are_ascii_file_names():
    assert slug("Erhalten – Zurücklassen – Neu gestalten") == "erhalten-zuruecklassen-neu-gestalten"
    assert slug("Größe: 100 %") == "groesse-100"
    assert slug("¿¡") == "tabelle"


def test_sheet_names_are_unique_short_and_allowed():
    taken = set()
    first = xlsx.sheet_name("Was ist [wichtig]? Eine sehr lange Überschrift für ein Blatt", taken)
    second = xlsx.sheet_name("Was ist [wichtig]? Eine sehr lange Überschrift für ein Blatt", taken)
    assert len(first) <= 31 and len(second) <= 31
    assert first != second and second.endswith("(2)")
    assert not set("[]:*?/\\") & set(first)


def test_a_table_refuses_rows_of_the_wrong_width():
    table = Table("t", "T", [Column("a"), Column("b", "int")])
    table.add(["x", 1])
    with pytest.raises(ValueError, match="1 cells for 2 columns"):
        table.add(["y"])


def test_wide_tables_are_split_with_their_first_columns_repeated():
    columns = [Column("Gruppe"), Column("n", "int")] + [Column(f"T{i}", "int", short=str(i)) for i in range(12)]
    table = Table("b", "B", columns, note="Hinweis")
    table.add(["A", 5, *range(12)])
    table.add(["B", "< 5", *[None] * 12], HIDDEN)
    parts = pdf.split_columns(table, per_page=9)
    assert [len(p.columns) for p in parts] == [11, 5]
    assert all(p.rows[0][:2] == ["A", 5] for p in parts)
    assert parts[1].rows[0][2:] == [9, 10, 11]
    assert parts[1].style_of(1) == HIDDEN and parts[1].note == "Hinweis"


def test_texts_from_forms_become_paragraphs_and_lists():
    text = "Das **Bündnis** blickt\nnach vorn.\n\nLeitfragen:\n- Erste?\n* Zweite?\n\n1. Eins\nDanach"
    assert blocks(text) == [
        Block("Das Bündnis blickt nach vorn."),
        Block("Leitfragen:", ("Erste?", "Zweite?")),
        Block("", ("Eins",)),
        Block("Danach"),
    ]
    assert blocks("") == []
