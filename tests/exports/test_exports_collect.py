"""The report behind every download: gathered once, in the workshop's language (or the page's)."""

from facilitation.exports.collect import collect
from facilitation.exports.tables import HIDDEN, TOTAL


def test_the_report_speaks_the_workshop_language(forum):
    german = collect(forum.workshop)
    english = collect(forum.workshop, "en")
    assert german.labels["open_questions"] == "Offene Fragen"
    assert english.labels["open_questions"] == "Open questions"
    assert (german.decimal_mark, english.decimal_mark) == (",", ".")
    assert english.questions[0].groups[0].mentions == "3 mentions"
    assert german.questions[0].groups[0].mentions == "3 Nennungen"


def test_participation_tables_come_from_the_one_suppression(forum):
    by_organisation, by_role = collect(forum.workshop).participation
    rows = dict(zip([row[0] for row in by_organisation.rows], by_organisation.rows, strict=True))
    assert rows["Jugendamt Rostock"][1] == 6
    assert rows["Politik"][1] == "< 5"
    # Schwerin (5) is hidden with Politik, so that "total minus the rest" gives nothing away.
    assert rows["Jugendamt Schwerin"][1] == "–"
    assert rows["Alle"][1] == 14
    assert by_organisation.style_of(by_organisation.rows.index(rows["Politik"])) == HIDDEN
    assert by_organisation.styles[-1] == TOTAL
    assert [row[0] for row in by_role.rows if by_role.style_of(by_role.rows.index(row)) == HIDDEN] == [
        "Leitung",
        "Ohne Angabe",
    ]


def test_questions_group_cards_by_cluster_largest_first_then_the_rest(forum):
    goals, keep = collect(forum.workshop).questions
    assert [(g.label, g.count) for g in goals.groups] == [
        ("Personal gewinnen und halten", 3),
        ("Krisen und Digitalisierung", 2),
        ("Nicht zugeordnet", 1),
    ]
    assert keep.columns == ["Erhalten", "Zurücklassen", "Neu gestalten"]
    assert keep.matrix.rows[-1] == ["Nicht zugeordnet", 1, 2, 1, 4]


def test_open_questions_and_next_steps_come_from_the_recommendations(forum):
    report = collect(forum.workshop)
    assert report.open_questions == ["Empfehlung 2 „Krisenmanagement“: 2 Einwände. – „Erst die Finanzierung klären“"]
    assert [row[1] for row in report.next_steps.rows] == ["Personal gewinnen und halten", "Krisenmanagement"]
