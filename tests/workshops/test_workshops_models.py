"""Workshop states, join codes and roles."""

import pytest
from sqlalchemy.exc import IntegrityError

from facilitation.extensions import db
from facilitation.modeling import InvalidTransition
from facilitation.workshops.models import Role, Workshop, WorkshopState

ALLOWED = {
    (WorkshopState.draft, WorkshopState.live),
    (WorkshopState.live, WorkshopState.ended),
    (WorkshopState.ended, WorkshopState.live),
    (WorkshopState.ended, WorkshopState.archived),
    (WorkshopState.archived, WorkshopState.ended),
}
EVERY_MOVE = [(current, wanted) for current in WorkshopState for wanted in WorkshopState]


@pytest.mark.parametrize(("current", "wanted"), sorted(ALLOWED, key=str))
def test_allowed_transition(current, wanted):
    workshop = Workshop(state=current)

    workshop.change_state(wanted)

    assert workshop.state is wanted


@pytest.mark.parametrize(("current", "wanted"), [move for move in EVERY_MOVE if move not in ALLOWED])
def test_refused_transition_raises_and_keeps_the_state(current, wanted):
    workshop = Workshop(state=current)

    with pytest.raises(InvalidTransition) as error:
        workshop.change_state(wanted)

    assert workshop.state is current
    assert (error.value.current, error.value.wanted) == (current, wanted)


def test_going_live_stamps_the_first_start_only():
    workshop = Workshop(state=WorkshopState.draft)
    workshop.change_state(WorkshopState.live)
    first_start = workshop.started_at
    workshop.change_state(WorkshopState.ended)
    workshop.change_state(WorkshopState.live)

    assert first_start is not None
    assert workshop.started_at == first_start
    assert workshop.ended_at is not None
    assert workshop.is_live


def test_every_state_has_a_label():
    assert all(str(state.label) for state in WorkshopState)


def test_join_codes_are_unique_in_the_database(app):
    db.session.add_all(
        [
            Workshop(title="A", join_code="ABCDEF", screen_key="k1"),
            Workshop(title="B", join_code="ABCDEF", screen_key="k2"),
        ]
    )

    with pytest.raises(IntegrityError):
        db.session.commit()


def test_roles_are_ranked_observer_moderator_owner():
    assert Role.observer.rank < Role.moderator.rank < Role.owner.rank
