"""The workshop editor: new workshops, templates, steps, import and export."""

import io
import json

import pytest
from sqlalchemy import func, select

from facilitation.activities import services
from facilitation.activities.models import Activity, ActivityState
from facilitation.extensions import db
from facilitation.workshops.models import Workshop

NEW = {"title": "Forum", "template": "", "min_group_size": "5", "retention_days": "90"}


@pytest.fixture
def workshop(create_workshop, owner):
    return create_workshop(owner=owner, title="Zukunftsforum")


@pytest.fixture
def as_owner(client, login, owner):
    login(client, owner)
    return client


def workshops():
    return db.session.scalars(select(Workshop).order_by(Workshop.id)).all()


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


# -- new workshops --------------------------------------------------------------------------------


def test_new_workshop_page_offers_the_templates(as_owner):
    page = as_owner.get("/workshops/new")

    assert page.status_code == 200
    assert 'value="strategie-2025-2030"' in page.text
    assert "Strategie 2025–2030" in page.text


def test_create_a_workshop_from_the_template(as_owner):
    response = as_owner.post("/workshops/new", data={**NEW, "template": "strategie-2025-2030", "venue": "Güstrow"})

    (workshop,) = workshops()
    assert response.headers["Location"] == f"/workshops/{workshop.id}"
    assert (workshop.title, workshop.venue, workshop.organiser) == ("Forum", "Güstrow", "Bündnis Kinderschutz MV")
    assert len(workshop.activities) == 7
    assert f"Zugangscode: {workshop.join_code}" in as_owner.get(response.headers["Location"]).text


def test_create_an_empty_workshop(as_owner):
    as_owner.post("/workshops/new", data=NEW)

    (workshop,) = workshops()
    assert workshop.activities == []


def test_new_workshop_form_errors_are_shown(as_owner):
    response = as_owner.post("/workshops/new", data={**NEW, "title": "", "retention_days": "0"})

    assert response.status_code == 200
    assert "Bitte einen Titel angeben." in response.text
    assert "Zahl muss zwischen 1 und 3650 liegen." in response.text
    assert workshops() == []


def test_a_template_brings_its_title_when_none_is_given(as_owner):
    as_owner.post("/workshops/new", data={**NEW, "title": "", "template": "strategie-2025-2030"})

    (workshop,) = workshops()
    assert workshop.title == "Strategie 2025–2030"
    assert len(workshop.activities) == 7


def test_an_unknown_template_is_refused(as_owner):
    response = as_owner.post("/workshops/new", data={**NEW, "template": "../../etc/passwd"})

    assert response.status_code == 200
    assert workshops() == []


# -- steps ----------------------------------------------------------------------------------------

VALID_STEPS = {
    "info": (
        {"body": "**Willkommen**", "figures": "44 von 40 | Beratungstage\n69 | Veranstaltungen"},
        {
            "body": "**Willkommen**",
            "figures": [{"value": "44 von 40", "label": "Beratungstage"}, {"value": "69", "label": "Veranstaltungen"}],
        },
    ),
    "checkin": (
        {"organisations": "Jugendamt\n Land \n\nJugendamt", "roles": "Leitung", "is_required": "y"},
        {"organisations": ["Jugendamt", "Land"], "roles": ["Leitung"], "is_required": True},
    ),
    "cards": (
        {"columns": "Erhalten\nZurücklassen", "max_cards": "6", "max_per_column": "3", "max_length": "200"},
        {
            "columns": ["Erhalten", "Zurücklassen"],
            "max_cards": 6,
            "max_per_column": 3,
            "max_length": 200,
            "is_premoderated": False,
        },
    ),
    "clustering": ({"sources": "3, 4"}, {"sources": [2, 3]}),
    "vote": (
        {"method": "points", "items_from": "fixed", "options": "A\nB", "budget": "50", "dots": "", "top_k": ""},
        {"method": "points", "items_from": "fixed", "options": ["A", "B"], "budget": 50, "dots": 3, "top_k": 3},
    ),
    "recommendations": ({"sources": "5 6", "has_consent_check": "y"}, {"sources": [4, 5], "has_consent_check": True}),
}

INVALID_STEPS = {
    "info": ({"figures": "44 von 40"}, "figures.0.label"),
    "checkin": ({"organisations": ""}, "Dieses Feld wird benötigt."),
    "cards": ({"max_cards": "0", "max_length": "280"}, "Zahl muss zwischen 1 und 50 liegen."),
    "clustering": ({"sources": ", ".join(str(n) for n in range(1, 12))}, "sources:"),
    "vote": (
        {"method": "dots", "items_from": "fixed", "options": " "},
        "Eine feste Liste braucht mindestens einen Eintrag.",
    ),
    "recommendations": ({"sources": "61"}, "sources.0:"),
}


def test_every_kind_is_covered():
    assert set(VALID_STEPS) == set(INVALID_STEPS) == set(services.KINDS)


@pytest.mark.parametrize("kind", sorted(VALID_STEPS))
def test_add_step_form_starts_from_the_kind_defaults(as_owner, workshop, kind):
    page = as_owner.get(f"/workshops/{workshop.id}/steps/new/{kind}")

    assert page.status_code == 200
    assert 'name="title"' in page.text


@pytest.mark.parametrize("kind", sorted(VALID_STEPS))
def test_add_a_step_of_each_kind_through_its_form(as_owner, workshop, kind):
    form, expected = VALID_STEPS[kind]

    response = as_owner.post(
        f"/workshops/{workshop.id}/steps/new/{kind}", data={"title": "Neu", "prompt": "Frage?", **form}
    )

    assert response.headers["Location"] == f"/workshops/{workshop.id}"
    (activity,) = workshop.activities
    assert (activity.kind, activity.title, activity.prompt) == (kind, "Neu", "Frage?")
    assert activity.config == {**activity.config, **expected}


@pytest.mark.parametrize("kind", sorted(INVALID_STEPS))
def test_an_invalid_step_form_shows_why_and_saves_nothing(as_owner, workshop, kind):
    form, message = INVALID_STEPS[kind]

    response = as_owner.post(f"/workshops/{workshop.id}/steps/new/{kind}", data={"title": "Neu", **form})

    assert response.status_code == 200
    assert message in response.text
    assert count(Activity) == 0


def test_a_step_needs_a_title(as_owner, workshop):
    response = as_owner.post(f"/workshops/{workshop.id}/steps/new/info", data={"title": ""})

    assert "Dieses Feld wird benötigt." in response.text
    assert count(Activity) == 0


def test_an_unknown_kind_is_not_found(as_owner, workshop):
    assert as_owner.get(f"/workshops/{workshop.id}/steps/new/lottery").status_code == 404


def test_edit_step_form_shows_the_stored_config(as_owner, workshop, create_activity):
    activity = create_activity(workshop, kind="vote", config={"options": ["Krisenmanagement", "Personal"], "source": 4})

    page = as_owner.get(f"/workshops/{workshop.id}/steps/{activity.id}")

    assert "Krisenmanagement\nPersonal" in page.text
    assert 'name="source" type="number" value="5"' in page.text


def test_edit_a_step(as_owner, workshop, create_activity):
    activity = create_activity(workshop, kind="checkin")

    response = as_owner.post(
        f"/workshops/{workshop.id}/steps/{activity.id}", data={"title": "Wer?", "organisations": "Land"}
    )

    assert response.status_code == 302
    assert (activity.title, activity.config["organisations"]) == ("Wer?", ["Land"])


def test_a_step_that_ran_cannot_be_edited(as_owner, workshop, create_activity):
    activity = create_activity(workshop, kind="info", title="Alt")
    activity.state = ActivityState.closed
    db.session.commit()

    response = as_owner.post(f"/workshops/{workshop.id}/steps/{activity.id}", data={"title": "Neu"})

    assert "Ein Schritt, der schon lief, kann nicht mehr geändert werden." in response.text
    assert activity.title == "Alt"


def test_a_step_of_another_workshop_is_not_found(as_owner, workshop, create_workshop, create_activity):
    foreign = create_activity(create_workshop())

    assert as_owner.get(f"/workshops/{workshop.id}/steps/{foreign.id}").status_code == 404
    assert as_owner.post(f"/workshops/{workshop.id}/steps/{foreign.id}/remove").status_code == 404


def test_move_a_step(as_owner, workshop, create_activity):
    *_, last = (create_activity(workshop, kind="info", title=t) for t in "ABC")

    response = as_owner.post(f"/workshops/{workshop.id}/steps/{last.id}/move", data={"position": "1"})

    assert response.headers["Location"] == f"/workshops/{workshop.id}#step-{last.id}"
    assert [a.title for a in workshop.activities] == ["C", "A", "B"]


@pytest.mark.parametrize("position", ["", "0", "61", "eins"])
def test_move_refuses_a_bad_position(as_owner, workshop, create_activity, position):
    activity = create_activity(workshop)

    assert (
        as_owner.post(f"/workshops/{workshop.id}/steps/{activity.id}/move", data={"position": position}).status_code
        == 400
    )


def test_remove_a_step(as_owner, workshop, create_activity):
    first = create_activity(workshop, title="A")
    create_activity(workshop, title="B")

    as_owner.post(f"/workshops/{workshop.id}/steps/{first.id}/remove")

    assert [(a.position, a.title) for a in workshop.activities] == [(0, "B")]
    assert "Schritt entfernt." in as_owner.get(f"/workshops/{workshop.id}").text


def test_agenda_lists_the_steps_in_order(as_owner, demo_workshop):
    page = as_owner.get(f"/workshops/{demo_workshop.id}").text

    titles = [a.title for a in demo_workshop.activities]
    assert [page.index(title) for title in titles] == sorted(page.index(title) for title in titles)


# -- import, export, duplicate --------------------------------------------------------------------


def upload(client, content: bytes, name="workshop.json"):
    return client.post("/workshops/import", data={"file": (io.BytesIO(content), name)})


def test_import_a_definition_file(as_owner, demo_workshop):
    content = json.dumps(services.export_definition(demo_workshop)).encode()

    response = upload(as_owner, content)

    imported = workshops()[-1]
    assert imported.id != demo_workshop.id
    assert response.headers["Location"] == f"/workshops/{imported.id}"
    assert services.export_definition(imported) == services.export_definition(demo_workshop)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "Die Datei ist kein gültiges JSON."),
        (b"\xff\xfe\x00", "Die Datei ist kein gültiges JSON."),
        (b'{"format": "other"}', "Die Datei ist keine Workshop-Definition."),
        (b"[1, 2]", "Die Datei ist keine Workshop-Definition."),
        (
            b'{"format": "facilitation.workshop", "version": 1, "workshop": "x"}',
            "Die Angaben zum Workshop sind ungültig.",
        ),
        (
            json.dumps(
                {
                    "format": "facilitation.workshop",
                    "version": 1,
                    "workshop": {"title": "T"},
                    "activities": [{"kind": "vote", "title": "V"}],
                }
            ).encode(),
            "Schritt 1: Die Einstellungen des Schritts sind unvollständig.",
        ),
    ],
)
def test_a_bad_import_says_why_and_creates_nothing(as_owner, content, message):
    response = upload(as_owner, content)

    assert response.headers["Location"] == "/workshops/new"
    assert message in as_owner.get("/workshops/new").text
    assert workshops() == []


def test_import_without_a_file_asks_for_one(as_owner):
    as_owner.post("/workshops/import", data={})

    assert "Bitte eine Datei auswählen." in as_owner.get("/workshops/new").text


def test_export_downloads_the_definition(as_owner, demo_workshop):
    response = as_owner.get(f"/workshops/{demo_workshop.id}/definition.json")

    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == f'attachment; filename="workshop-{demo_workshop.join_code}.json"'
    assert response.json == services.export_definition(demo_workshop)
    assert "Strategie 2025–2030" in response.text  # readable, not \\u-escaped


def test_duplicate_a_workshop(as_owner, demo_workshop):
    response = as_owner.post(f"/workshops/{demo_workshop.id}/duplicate")

    copied = workshops()[-1]
    assert response.headers["Location"] == f"/workshops/{copied.id}"
    assert copied.title == "Strategie 2025–2030 (Kopie)"
    assert len(copied.activities) == 7
