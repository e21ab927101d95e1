"""Consent checks by organisation and role: small groups suppressed as in every breakdown, reasons never split."""

import itertools

import pytest

from facilitation.activities import services as activity_services
from facilitation.exports import collect, csv, docx, pdf
from facilitation.exports.tables import HIDDEN, TOTAL
from facilitation.extensions import db
from facilitation.participation import services as participation_services
from facilitation.recommendations import services
from facilitation.results import services as results
from facilitation.workshops import services as workshop_services
from facilitation.workshops.models import Role
from tests.exports import readers

ROSTOCK, SCHWERIN, LAND = "Jugendamt Rostock", "Jugendamt Schwerin", "Land"


@pytest.fixture
def checked(workshop, owner, step):
    """A recommendation whose consent check got 6 answers from Rostock, 5 from Schwerin and 2 from Land."""
    activity_services.open_activity(owner, step)
    recommendation = services.create_recommendation(owner, step, topic="Fachkräfte gewinnen")
    services.open_consent(owner, recommendation)
    numbers = itertools.count(1)
    answers = [(ROSTOCK, "Leitung", f) for f in (5, 4, 4, 3, 1, 0)]
    answers += [(SCHWERIN, "ASD-Fachkraft", f) for f in (5, 5, 4, 3, 2)]
    answers += [(LAND, "Leitung", f) for f in (0, 5)]
    for organisation, role, fingers in answers:
        number = next(numbers)
        participant = participation_services.join_workshop(workshop, f"token-consent-{number:04d}")
        participant.organisation, participant.role = organisation, role
        db.session.commit()
        services.cast_consent(
            participant, recommendation, client_id=f"consent-{number:04d}", fingers=fingers, dissent="Zu teuer"
        )
    return recommendation


def by_label(breakdown):
    return {row["label"]: row for row in breakdown["rows"]}


def test_small_groups_are_hidden_together_with_the_next_smallest(checked):
    breakdown = results.consent_breakdown(checked, "organisation")
    rows = by_label(breakdown)

    assert breakdown["k"] == 5 and breakdown["answers"] == 13
    assert rows[ROSTOCK]["status"] == "shown"
    assert rows[ROSTOCK]["cells"] == {"answers": 6, "distribution": [1, 1, 0, 1, 2, 1], "average": 2.8, "dissent": 2}
    # Land (2) is small; Schwerin (5) is hidden with it, or Land could be worked out from the total.
    assert (rows[LAND]["status"], rows[LAND]["size_text"], rows[LAND]["cells"]) == ("small", "< 5", None)
    assert (rows[SCHWERIN]["status"], rows[SCHWERIN]["cells"]) == ("complementary", None)
    assert breakdown["rest"]["size"] == 7
    assert breakdown["rest"]["cells"]["distribution"] == [1, 0, 1, 1, 1, 3]
    assert breakdown["total"]["cells"]["distribution"] == services.consent_result(checked)["distribution"]
    assert breakdown["total"]["cells"]["dissent"] == services.consent_result(checked)["dissent_count"]


def test_by_role_and_no_reasons_per_group(checked):
    breakdown = results.consent_breakdown(checked, "role")
    rows = by_label(breakdown)

    assert rows["Leitung"]["size"] == 8
    assert rows["Leitung"]["cells"]["dissent"] == 3
    assert rows["ASD-Fachkraft"]["cells"]["distribution"] == [0, 0, 1, 1, 1, 2]
    assert breakdown["rest"] is None
    assert "Zu teuer" not in repr(breakdown)


def test_when_all_together_are_fewer_than_k_no_group_is_shown(workshop, owner, step):
    activity_services.open_activity(owner, step)
    recommendation = services.create_recommendation(owner, step, topic="Klein")
    services.open_consent(owner, recommendation)
    for number, organisation in enumerate((ROSTOCK, ROSTOCK, LAND)):
        participant = participation_services.join_workshop(workshop, f"token-few-{number:04d}")
        participant.organisation = organisation
        db.session.commit()
        services.cast_consent(participant, recommendation, client_id=f"few-{number:04d}", fingers=4)

    breakdown = results.consent_breakdown(recommendation, "organisation")

    assert all(row["cells"] is None for row in breakdown["rows"])
    assert breakdown["rest"] is None
    assert breakdown["total"]["size"] == 3


def test_unknown_groupings_are_refused(checked):
    with pytest.raises(results.ResultsError):
        results.consent_breakdown(checked, "age")


# -- over Socket.IO ------------------------------------------------------------------------------------------


@pytest.fixture
def connected(app, connect, login, workshop):
    def open_screen(screen, account=None):
        http = app.test_client()
        if account is not None:
            login(http, account)
        elif screen == "phone":
            assert http.get(f"/{workshop.join_code}").status_code == 200
        params = {"screen": screen, "code": workshop.join_code}
        if screen == "projector":
            params["key"] = workshop.screen_key
        return connect(app, params, http)

    return open_screen


def test_consoles_load_it_observers_too(checked, connected, owner, workshop, create_account):
    observer = create_account(email="beobachtung@example.org")
    workshop_services.grant_role(owner, workshop, observer, Role.observer)
    for account in (owner, observer):
        ack = connected("console", account).emit(
            "load_consent_breakdown", {"recommendation_id": checked.id, "by": "organisation"}, callback=True
        )
        assert ack["ok"] is True
        assert by_label(ack["breakdown"])[ROSTOCK]["cells"]["answers"] == 6
        assert by_label(ack["breakdown"])[LAND]["cells"] is None


def test_phones_projectors_and_other_workshops_get_none(checked, connected, owner, create_workshop):
    for screen in ("phone", "projector"):
        ack = connected(screen).emit("load_consent_breakdown", {"recommendation_id": checked.id}, callback=True)
        assert ack["ok"] is False and ack["error"] == "forbidden"

    other = create_workshop(owner=owner, title="Anderer Workshop")
    foreign_step = activity_services.add_activity(owner, other, kind="recommendations", title="Fremd", config={})
    foreign = services.create_recommendation(owner, foreign_step, topic="Fremde Empfehlung")
    console = connected("console", owner)
    for recommendation_id in (foreign.id, foreign.id + 1000):
        ack = console.emit("load_consent_breakdown", {"recommendation_id": recommendation_id}, callback=True)
        assert ack["ok"] is False and ack["error"] == "not_found"


# -- results page and exports ----------------------------------------------------------------------------------


def test_the_report_has_both_breakdowns_with_small_groups_hidden(checked, workshop):
    report = collect.collect(workshop)
    by_org, by_role = report.consent_breakdowns

    assert by_org.title == "Konsens-Check nach Organisation" and by_role.title == "Konsens-Check nach Rolle"
    rows = {row[1]: (row, style) for row, style in zip(by_org.rows, by_org.styles, strict=True)}
    assert rows[ROSTOCK] == ([1, ROSTOCK, 6, 1, 1, 0, 1, 2, 1, 2.8, 2], None)
    assert rows[LAND] == ([1, LAND, "< 5", *[None] * 8], HIDDEN)
    assert rows[SCHWERIN][1] == HIDDEN and rows[SCHWERIN][0][3:] == [None] * 8
    assert rows["Übrige Gruppen zusammen"][0][2:] == [7, 1, 0, 1, 1, 1, 3, 3.4, 2]
    assert rows["Alle"] == ([1, "Alle", 13, 2, 1, 1, 2, 3, 4, 3.2, 4], TOTAL)
    assert "Gruppen mit weniger als 5 Personen" in by_org.note
    # The spreadsheet's sheet of the recommendations step carries them too.
    [sheet] = [s for s in report.steps if s.title == "Empfehlungen"]
    assert [t.title for t in sheet.tables][-2:] == [by_org.title, by_role.title]


def test_no_breakdown_without_answers(workshop, owner, step):
    services.create_recommendation(owner, step, topic="Ohne Check")
    assert collect.collect(workshop).consent_breakdowns == []


def test_results_page_and_every_export_show_them(checked, workshop, owner, app, login):
    http = app.test_client()
    login(http, owner)
    page = http.get(f"/workshops/{workshop.id}/results").get_data(as_text=True)
    assert "Konsens-Check nach Organisation" in page and "Konsens-Check nach Rolle" in page
    assert "Übrige Gruppen zusammen" in page

    report = collect.collect(workshop)
    tables = readers.docx_tables(docx.write(report))
    [by_org] = [t for t in tables if t[0][:3] == ["Nr.", "Organisation", "Personen"]]
    land = next(row for row in by_org if row[1] == LAND)
    assert land[2] == "< 5" and set(land[3:]) == {""}

    pdf_text = "\n".join(readers.pdf_pages(pdf.write(report)))
    assert "Konsens-Check nach Organisation" in pdf_text and "Konsens-Check nach Rolle" in pdf_text

    csv_files = readers.csv_files(csv.write(report))
    [name] = [name for name in csv_files if "konsens-organisation" in name]
    rows = readers.csv_rows(csv_files[name])
    assert [row[1:3] for row in rows if row[1] in (ROSTOCK, LAND)] == [[ROSTOCK, "6"], [LAND, "< 5"]]
