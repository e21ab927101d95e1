"""A vote's config form in the editor: every method, where the topics come from, the proposal rules."""

import re

import pytest

from facilitation.activities.registry import get_kind


@pytest.fixture
def as_owner(client, login, owner):
    login(client, owner)
    return client


@pytest.mark.parametrize("method", ["dots", "points", "ranking", "single", "multiple", "scale", "fist", "matrix"])
def test_every_method_can_be_chosen_in_the_editor(as_owner, owner, create_workshop, method):
    workshop = create_workshop(owner=owner)

    response = as_owner.post(
        f"/workshops/{workshop.id}/steps/new/vote",
        data={"title": "Abstimmung", "method": method, "items_from": "fixed", "options": "A\nB"},
    )

    assert response.status_code == 302
    (activity,) = workshop.activities
    assert activity.config["method"] == method
    assert activity.config == get_kind("vote").validate(activity.config)


def test_reserve_topics_with_their_rules(as_owner, owner, create_workshop):
    workshop = create_workshop(owner=owner)

    as_owner.post(
        f"/workshops/{workshop.id}/steps/new/vote",
        data={
            "title": "Reservethemen",
            "method": "dots",
            "items_from": "proposed",
            "options": "",
            "dots": "3",
            "max_per_option": "1",
            "not_own": "y",
            "max_proposals": "4",
        },
    )

    (activity,) = workshop.activities
    assert (activity.config["items_from"], activity.config["options"]) == ("proposed", [])
    assert (activity.config["not_own"], activity.config["max_proposals"]) == (True, 4)
    page = as_owner.get(f"/workshops/{workshop.id}/steps/{activity.id}").get_data(as_text=True)
    assert 'name="max_proposals" type="number" value="4"' in page
    [checkbox] = re.findall(r'<input[^>]*name="not_own"[^>]*>', page)
    assert "checked" in checkbox


def test_older_vote_configs_get_the_new_defaults():
    config = get_kind("vote").validate({"method": "dots", "options": ["A"]})
    assert (config["not_own"], config["max_proposals"], config["is_live"]) == (False, 2, False)
