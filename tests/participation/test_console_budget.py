"""Consoles have a command budget of their own: moderators keep up with a large forum.

A forum of hundreds of phones sends cards faster than one person reads them; a team approves them as
they come, often with several consoles on one account (the budget is the account's). The general budget
of a phone (120 at once) would throttle them after two minutes' worth of cards.
"""

import pytest

from facilitation.participation import services
from facilitation.realtime import ratelimit

pytestmark = pytest.mark.usefixtures("fast_coalescing")


@pytest.fixture
def stopped_clock(app):
    """Budgets that do not refill while the test sends (it takes a few seconds)."""
    ratelimit.use_clock(app, lambda: 1000.0)


def test_a_moderation_team_approves_more_at_once_than_a_phone_may_send(
    live_workshop, cards_step, open_step, join, console, owner, stopped_clock
):
    open_step(cards_step)
    count = ratelimit.DEFAULT_RATE.burst + 40
    cards = []
    for number in range(count):
        author = join(live_workshop)
        card, _ = services.submit_card(
            author, cards_step, client_id=f"budget-{number:04d}", text=f"Karte {number}", column="Erhalten"
        )
        cards.append(card.id)
    # Two consoles of the same account, as a team logged in with one account would have them.
    first, second = console(live_workshop, owner), console(live_workshop, owner)
    for number, card_id in enumerate(cards):
        screen = first if number % 2 else second
        ack = screen.command("approve_card", {"card_id": card_id})
        assert ack["ok"] is True, (number, ack)
    # Viewing steps and snapshots come out of the same budget, also far beyond a phone's.
    for _ in range(20):
        assert first.command("request_snapshot")["ok"] is True


def test_a_console_still_has_a_ceiling(live_workshop, console, owner, stopped_clock):
    moderation = console(live_workshop, owner)
    answers = [moderation.command("no_such_command") for _ in range(ratelimit.CONSOLE_RATE.burst + 1)]
    assert {a["error"] for a in answers[:-1]} == {"unknown"}
    assert answers[-1]["error"] == "rate_limited" and answers[-1]["retry_after"] >= 1


def test_phones_keep_the_general_budget(live_workshop, phone, stopped_clock):
    client = phone(live_workshop)
    answers = [client.command("no_such_command") for _ in range(ratelimit.DEFAULT_RATE.burst + 1)]
    assert answers[-1]["error"] == "rate_limited"
