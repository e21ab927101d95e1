"""Editing the agenda, workshop definitions, and running steps live."""

import copy
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from facilitation.activities import services
from facilitation.activities.models import Activity, ActivityState
from facilitation.extensions import db
from facilitation.modeling import utcnow
from facilitation.realtime import rooms
from facilitation.workshops import services as workshop_services
from facilitation.workshops.models import AuditEntry, Role, Workshop, WorkshopState

DEMO = "strategie-2025-2030"


def positions(workshop):
    db.session.expire_all()
    return [(a.position, a.title) for a in workshop.activities]


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def definition(*steps, **workshop):
    return {
        "format": services.DEFINITION_FORMAT,
        "version": services.DEFINITION_VERSION,
        "workshop": {"title": "Importiert", **workshop},
        "activities": list(steps),
    }


def step(kind="info", title="Schritt", **config):
    return {"kind": kind, "title": title, "prompt": "", "config": config}


@pytest.fixture
def workshop(create_workshop, owner):
    return create_workshop(owner=owner)


@pytest.fixture
def agenda(workshop, create_activity):
    """A workshop with the steps A, B, C, D (info steps, all pending)."""
    for title in "ABCD":
        create_activity(workshop, kind="info", title=title)
    return workshop


@pytest.fixture
def live(workshop, owner):
    workshop_services.change_state(owner, workshop, WorkshopState.live)
    return workshop


# -- editing the agenda ---------------------------------------------------------------------------


def test_add_activity_appends_with_a_validated_config(workshop, owner):
    first = services.add_activity(owner, workshop, kind="info", title=" Start ")
    second = services.add_activity(
        owner, workshop, kind="cards", title="Ideen", prompt=" Was fehlt? ", config={"columns": [" A", "A", ""]}
    )

    assert (first.position, first.title, first.config) == (0, "Start", {"body": "", "figures": []})
    assert (second.position, second.prompt, second.config["columns"]) == (1, "Was fehlt?", ["A"])
    assert second.config["max_cards"] == 5


@pytest.mark.parametrize(
    ("kind", "title", "config", "errors"),
    [
        ("lottery", "Los", None, {}),
        ("info", " ", None, {}),
        ("info", "x" * 201, None, {}),
        ("vote", "Abstimmung", {"options": []}, {"config": "Eine feste Liste braucht mindestens einen Eintrag."}),
        ("cards", "Karten", {"max_cards": 0}, {"max_cards": "Mindestens 1."}),
    ],
)
def test_add_activity_refuses_invalid_steps(workshop, owner, kind, title, config, errors):
    with pytest.raises(services.ActivityError) as error:
        services.add_activity(owner, workshop, kind=kind, title=title, config=config)

    assert error.value.errors == errors
    assert count(Activity) == 0


def test_an_agenda_holds_at_most_sixty_steps(workshop, owner, monkeypatch):
    monkeypatch.setattr(services, "MAX_ACTIVITIES", 2)
    services.add_activity(owner, workshop, kind="info", title="1")
    services.add_activity(owner, workshop, kind="info", title="2")

    with pytest.raises(services.ActivityError):
        services.add_activity(owner, workshop, kind="info", title="3")


def test_update_activity_changes_a_pending_step(agenda, owner):
    activity = agenda.activities[0]

    services.update_activity(owner, activity, title="Neu", prompt="Frage", config={"body": "Text"})

    assert (activity.title, activity.prompt, activity.config["body"]) == ("Neu", "Frage", "Text")
    assert db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc())) == "activity.updated"


@pytest.mark.parametrize("state", [ActivityState.open, ActivityState.closed])
def test_a_step_that_ran_cannot_be_edited_or_removed(agenda, owner, state):
    activity = agenda.activities[1]
    activity.state = state
    db.session.commit()

    with pytest.raises(services.ActivityError) as error:
        services.update_activity(owner, activity, title="Neu")
    assert "schon lief" in str(error.value.message)
    with pytest.raises(services.ActivityError):
        services.remove_activity(owner, activity)

    assert positions(agenda) == [(0, "A"), (1, "B"), (2, "C"), (3, "D")]


@pytest.mark.parametrize(
    ("title", "to", "expected"),
    [("A", 2, "BCAD"), ("D", 0, "DABC"), ("B", 1, "ABCD"), ("B", 99, "ACDB"), ("C", -5, "CABD")],
)
def test_move_activity_keeps_positions_gapless(agenda, owner, title, to, expected):
    activity = next(a for a in agenda.activities if a.title == title)

    services.move_activity(owner, activity, to)

    assert positions(agenda) == list(enumerate(expected))


@pytest.mark.parametrize(("title", "expected"), [("A", "BCD"), ("B", "ACD"), ("D", "ABC")])
def test_remove_activity_closes_the_gap(agenda, owner, title, expected):
    activity = next(a for a in agenda.activities if a.title == title)

    services.remove_activity(owner, activity)

    assert positions(agenda) == list(enumerate(expected))


def test_removing_the_shown_step_returns_to_the_welcome_screen(agenda, owner):
    shown = agenda.activities[0]
    services.show_activity(owner, agenda, shown)

    services.remove_activity(owner, shown)

    assert agenda.current_activity_id is None


def test_adding_after_moves_and_removals_continues_the_sequence(agenda, owner):
    services.move_activity(owner, agenda.activities[3], 0)
    services.remove_activity(owner, agenda.activities[1])
    services.add_activity(owner, agenda, kind="info", title="E")

    assert positions(agenda) == list(enumerate("DBCE"))


# -- definitions and templates --------------------------------------------------------------------


def test_moving_steps_keeps_references_to_other_steps(demo_workshop, owner):
    by_title = {a.title: a for a in demo_workshop.activities}
    services.move_activity(owner, by_title["Ziele 2025–2030"], 0)

    by_title = {a.title: a for a in demo_workshop.activities}
    clustering = by_title["Themen bilden"]
    sources = {demo_workshop.activities[p].title for p in clustering.config["sources"]}
    assert sources == {"Ziele 2025–2030", "Erhalten – Zurücklassen – Neu gestalten"}
    recommendations = by_title["Handlungsempfehlungen"]
    assert {demo_workshop.activities[p].title for p in recommendations.config["sources"]} == {
        "Themen bilden",
        "Zukunftsthemen",
    }


def test_a_step_another_step_builds_on_cannot_be_removed(demo_workshop, owner):
    cards = next(a for a in demo_workshop.activities if a.title == "Ziele 2025–2030")

    with pytest.raises(services.ActivityError, match="Themen bilden"):
        services.remove_activity(owner, cards)
    assert cards in demo_workshop.activities


def test_the_demo_preset_imports_with_seven_steps(owner):
    workshop = services.import_definition(owner, services.load_preset(DEMO))

    assert workshop.title == "Strategie 2025–2030"
    assert [a.kind for a in workshop.activities] == [
        "info",
        "checkin",
        "cards",
        "cards",
        "clustering",
        "vote",
        "recommendations",
    ]
    assert [a.position for a in workshop.activities] == list(range(7))
    assert workshop.state is WorkshopState.draft
    assert workshop_services.role_of(owner, workshop) is Role.owner


def test_list_presets_names_the_shipped_templates():
    assert services.list_presets() == {DEMO: "Strategie 2025–2030"}


def test_an_unknown_preset_is_refused(app):
    with pytest.raises(services.ActivityError):
        services.load_preset("../secrets")


def test_export_then_import_gives_the_same_definition(demo_workshop, owner):
    exported = services.export_definition(demo_workshop)

    again = services.import_definition(owner, copy.deepcopy(exported))

    assert services.export_definition(again) == exported
    assert exported["workshop"] == services.load_preset(DEMO)["workshop"]
    assert again.join_code != demo_workshop.join_code


@pytest.mark.parametrize(
    "bad",
    [
        [],
        "text",
        {"format": "something.else", "version": 1},
        {**definition(), "version": 2},
        {**definition(), "activities": {"kind": "info"}},
        {**definition(), "activities": [step()] * 61},
        {**definition(), "workshop": "Titel"},
        {**definition(), "workshop": ["title", "Titel"]},
        definition(step(), "kein Schritt"),
        definition(step(), step(kind="lottery")),
        definition(step(), step(title="")),
        definition(step(), step(kind="vote", options=[])),
        definition(step(), step(kind="checkin", organisations=["A"], colour="red")),
        definition(step(), title=""),
        definition(step(), min_group_size=0),
        definition(step(), retention_days="viele"),
        definition(step(), starts_on="morgen"),
        definition(step(), join_code="AAAAAA"),
    ],
    ids=lambda bad: str(bad)[:60],
)
def test_import_refuses_a_bad_definition_whole(owner, bad):
    with pytest.raises(services.ActivityError) as error:
        services.import_definition(owner, bad)

    assert str(error.value.message)
    assert count(Workshop) == 0
    assert count(Activity) == 0
    assert count(AuditEntry) == 0


def test_import_names_the_step_that_is_wrong(owner):
    with pytest.raises(services.ActivityError) as error:
        services.import_definition(owner, definition(step(), step(kind="cards", max_cards=99)))

    assert str(error.value.message).startswith("Schritt 2:")
    assert error.value.errors == {"max_cards": "Höchstens 50."}


def test_import_overrides_win_over_the_definition(owner):
    workshop = services.import_definition(owner, definition(step(), venue="Rostock"), title="Eigener Titel")

    assert (workshop.title, workshop.venue) == ("Eigener Titel", "Rostock")


def test_duplicate_copies_settings_and_agenda_into_a_new_draft(demo_workshop, owner, create_account):
    colleague = create_account()
    workshop_services.grant_role(owner, demo_workshop, colleague, Role.moderator)
    workshop_services.change_state(owner, demo_workshop, WorkshopState.live)

    copied = services.duplicate_workshop(colleague, demo_workshop)

    assert copied.title == "Strategie 2025–2030 (Kopie)"
    assert copied.state is WorkshopState.draft
    assert copied.join_code != demo_workshop.join_code
    assert workshop_services.role_of(colleague, copied) is Role.owner
    assert workshop_services.role_of(owner, copied) is None
    exported, original = services.export_definition(copied), services.export_definition(demo_workshop)
    assert exported["activities"] == original["activities"]
    assert {**exported["workshop"], "title": ""} == {**original["workshop"], "title": ""}


# -- running steps live ---------------------------------------------------------------------------


def events(published, event):
    return [(payload, room) for name, payload, room in published if name == event]


def test_open_close_and_reveal_publish_activity_changed_to_everyone(live, owner, create_activity, published):
    activity = create_activity(live, kind="cards")

    for change in (services.open_activity, services.close_activity, services.reveal_activity):
        version = live.version
        published.clear()
        change(owner, activity)
        changed = events(published, "activity_changed")
        assert [room for _, room in changed] == list(rooms.everyone(live.id))
        assert version < changed[0][0]["version"] <= live.version

    assert activity.state is ActivityState.closed
    assert activity.is_revealed
    assert [e.action for e in workshop_services.audit_log(live)][:3] == [
        "activity.revealed",
        "activity.closed",
        "activity.opened",
    ]


def test_open_activity_shows_the_step_and_stamps_it(live, owner, create_activity):
    activity = create_activity(live, kind="vote")

    services.open_activity(owner, activity)

    assert activity.state is ActivityState.open
    assert live.current_activity_id == activity.id
    assert activity.opened_at is not None


def test_open_activity_needs_a_live_workshop(workshop, owner, create_activity, published):
    activity = create_activity(workshop, kind="cards")

    with pytest.raises(services.ActivityError) as error:
        services.open_activity(owner, activity)

    assert "zuerst den Workshop starten" in str(error.value.message)
    assert activity.state is ActivityState.pending
    assert published == []


@pytest.mark.parametrize("kind", ["info", "clustering"])
def test_open_activity_needs_an_interactive_kind(live, owner, create_activity, kind):
    activity = create_activity(live, kind=kind)

    with pytest.raises(services.ActivityError) as error:
        services.open_activity(owner, activity)

    assert "keine Antworten" in str(error.value.message)


def test_a_step_cannot_be_opened_twice_or_closed_before_it_opened(live, owner, create_activity, published):
    activity = create_activity(live, kind="cards")
    with pytest.raises(services.ActivityError):
        services.close_activity(owner, activity)
    services.open_activity(owner, activity)
    version = live.version
    published.clear()

    with pytest.raises(services.ActivityError):
        services.open_activity(owner, activity)

    assert live.version == version
    assert published == []


def test_a_closed_step_can_be_opened_again(live, owner, create_activity):
    activity = create_activity(live, kind="cards")
    services.open_activity(owner, activity)
    services.close_activity(owner, activity)

    services.open_activity(owner, activity)

    assert activity.is_open


def test_show_activity_publishes_the_current_step(agenda, owner, published):
    shown = agenda.activities[2]

    services.show_activity(owner, agenda, shown)

    assert agenda.current_activity_id == shown.id
    assert [room for _, room in events(published, "current_activity_changed")] == list(rooms.everyone(agenda.id))

    services.show_activity(owner, agenda, None)

    assert agenda.current_activity_id is None


def test_show_activity_refuses_a_step_of_another_workshop(agenda, owner, create_workshop, create_activity, published):
    foreign = create_activity(create_workshop(owner=owner))

    with pytest.raises(services.ActivityError) as error:
        services.show_activity(owner, agenda, foreign)

    assert "gehört nicht zu diesem Workshop" in str(error.value.message)
    assert agenda.current_activity_id is None
    assert published == []


# -- timers ---------------------------------------------------------------------------------------


@pytest.fixture
def timed(live, create_activity):
    return create_activity(live, kind="cards")


def seconds_left(activity):
    return (activity.timer_ends_at - utcnow()).total_seconds()


def test_set_timer_counts_down_and_none_removes_it(timed, owner, published):
    services.set_timer(owner, timed, 300)

    assert 298 <= seconds_left(timed) <= 300
    assert timed.timer_remaining is None
    assert events(published, "activity_changed")

    services.set_timer(owner, timed, None)

    assert (timed.timer_ends_at, timed.timer_remaining) == (None, None)


@pytest.mark.parametrize("seconds", [0, -1, services.MAX_TIMER_SECONDS + 1, 1.5, True, "60"])
def test_timer_durations_out_of_bounds_are_refused(timed, owner, seconds):
    with pytest.raises(services.ActivityError):
        services.set_timer(owner, timed, seconds)
    with pytest.raises(services.ActivityError):
        services.extend_timer(owner, timed, seconds)

    assert timed.timer_ends_at is None


@pytest.mark.parametrize("seconds", [1, services.MAX_TIMER_SECONDS])
def test_timer_durations_at_the_bounds_are_accepted(timed, owner, seconds):
    services.set_timer(owner, timed, seconds)

    assert timed.timer_ends_at is not None


def test_pause_keeps_the_remaining_seconds_and_resume_restarts_them(timed, owner):
    services.set_timer(owner, timed, 120)

    services.pause_timer(owner, timed)

    assert timed.timer_ends_at is None
    assert 119 <= timed.timer_remaining <= 120

    services.resume_timer(owner, timed)

    assert timed.timer_remaining is None
    assert 118 <= seconds_left(timed) <= 120


def test_pausing_an_expired_timer_leaves_zero(timed, owner):
    timed.timer_ends_at = utcnow() - timedelta(seconds=30)
    db.session.commit()

    services.pause_timer(owner, timed)

    assert timed.timer_remaining == 0


def test_pause_needs_a_running_timer_and_resume_a_paused_one(timed, owner):
    with pytest.raises(services.ActivityError):
        services.pause_timer(owner, timed)
    with pytest.raises(services.ActivityError):
        services.resume_timer(owner, timed)
    services.set_timer(owner, timed, 60)
    with pytest.raises(services.ActivityError):
        services.resume_timer(owner, timed)


def test_extend_adds_to_a_running_timer(timed, owner):
    services.set_timer(owner, timed, 60)

    services.extend_timer(owner, timed, 60)

    assert 118 <= seconds_left(timed) <= 120


def test_extend_restarts_an_expired_timer_from_now(timed, owner):
    timed.timer_ends_at = utcnow() - timedelta(minutes=10)
    db.session.commit()

    services.extend_timer(owner, timed, 60)

    assert 58 <= seconds_left(timed) <= 60


def test_extend_adds_to_a_paused_timer_and_starts_a_missing_one(timed, owner):
    services.extend_timer(owner, timed, 30)
    assert 28 <= seconds_left(timed) <= 30

    services.pause_timer(owner, timed)
    services.extend_timer(owner, timed, 30)

    assert 58 <= timed.timer_remaining <= 60


@pytest.mark.parametrize("paused", [True, False])
def test_extend_never_goes_past_the_longest_timer(timed, owner, paused):
    services.set_timer(owner, timed, services.MAX_TIMER_SECONDS - 10)
    if paused:
        services.pause_timer(owner, timed)

    services.extend_timer(owner, timed, 3600)

    left = timed.timer_remaining if paused else seconds_left(timed)
    assert left <= services.MAX_TIMER_SECONDS


def test_closing_a_step_stops_its_timer(timed, owner):
    services.open_activity(owner, timed)
    services.set_timer(owner, timed, 60)

    services.close_activity(owner, timed)

    assert (timed.timer_ends_at, timed.timer_remaining) == (None, None)
