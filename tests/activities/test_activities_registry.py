"""The registry of activity kinds and their configs (pure: no app needed)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facilitation.activities.registry import KINDS, ConfigError, get_kind

GOOD = {
    "info": [{}, {"body": "**Text**", "figures": [{"value": "44 von 40", "label": "Beratungstage"}]}],
    "checkin": [
        {"organisations": ["Jugendamt"]},
        {"organisations": ["A", "B"], "roles": ["Leitung"], "is_required": True},
    ],
    "cards": [{}, {"columns": ["Erhalten", "Zurücklassen"], "max_cards": 6, "max_per_column": 3, "max_length": 20}],
    "clustering": [{}, {"sources": [2, 3]}],
    "vote": [
        {"options": ["A", "B"]},
        {"method": "points", "items_from": "proposed", "budget": 1000},
        {"method": "ranking", "items_from": "clusters", "source": 4, "top_k": 20},
    ],
    "recommendations": [{}, {"sources": [4, 5], "has_consent_check": False}],
}

BAD = {
    "info": [
        ({"body": "x" * 5001}, "body"),
        ({"figures": [{"value": "", "label": "x"}]}, "figures.0.value"),
        ({"figures": [{"value": "1"}]}, "figures.0.label"),
        ({"colour": "red"}, "colour"),
    ],
    "checkin": [
        ({}, "organisations"),
        ({"organisations": []}, "organisations"),
        ({"organisations": [" ", ""]}, "organisations"),
        ({"organisations": ["x" * 121]}, "organisations"),
        ({"organisations": ["A"], "roles": "Leitung"}, "roles"),
    ],
    "cards": [
        ({"max_cards": 0}, "max_cards"),
        ({"max_cards": 51}, "max_cards"),
        ({"max_length": 19}, "max_length"),
        ({"max_per_column": 0}, "max_per_column"),
        ({"columns": ["1", "2", "3", "4", "5", "6", "7"]}, "columns"),
    ],
    "clustering": [
        ({"sources": [-1]}, "sources.0"),
        ({"sources": "1, 2"}, "sources"),
        ({"sources": list(range(11))}, "sources"),
    ],
    "vote": [
        ({}, "config"),
        ({"options": [" ", ""]}, "config"),
        ({"items_from": "clusters"}, "config"),
        ({"method": "lottery", "options": ["A"]}, "method"),
        ({"options": ["A"], "dots": 0}, "dots"),
        ({"options": ["A"], "source": -1}, "source"),
    ],
    "recommendations": [({"sources": [60]}, "sources.0"), ({"has_consent_check": "vielleicht"}, "has_consent_check")],
}


@pytest.mark.parametrize(("kind", "config"), [(kind, config) for kind, configs in GOOD.items() for config in configs])
def test_good_configs_validate_to_complete_configs(kind, config):
    validated = get_kind(kind).validate(config)

    assert set(validated) == set(get_kind(kind).config_model.model_fields)
    assert get_kind(kind).validate(validated) == validated  # normalised: stable on a second pass


@pytest.mark.parametrize(
    ("kind", "config", "field"), [(kind, config, field) for kind, cases in BAD.items() for config, field in cases]
)
def test_bad_configs_are_refused_with_the_field_named(kind, config, field):
    with pytest.raises(ConfigError) as error:
        get_kind(kind).validate(config)

    assert field in error.value.errors


def test_every_kind_has_good_and_bad_examples():
    assert set(GOOD) == set(BAD) == set(KINDS)


@pytest.mark.parametrize(
    ("kind", "field", "given_list"),
    [
        ("checkin", "organisations", [" Jugendamt ", "Jugendamt", "", "Land"]),
        ("checkin", "roles", ["Leitung", " ", "Leitung "]),
        ("cards", "columns", ["Erhalten ", "", "Erhalten", " Neu gestalten"]),
    ],
)
def test_lists_are_stripped_and_deduplicated_in_order(kind, field, given_list):
    config = {"organisations": ["Jugendamt"]} if kind == "checkin" else {}
    config[field] = given_list

    cleaned = get_kind(kind).validate(config)[field]

    assert cleaned == list(dict.fromkeys(v.strip() for v in given_list if v.strip()))


def test_vote_options_are_cleaned():
    assert get_kind("vote").validate({"options": [" A", "A ", "", "B"]})["options"] == ["A", "B"]


def test_unknown_kind_is_a_key_error():
    with pytest.raises(KeyError):
        get_kind("lottery")


def test_interactive_kinds():
    assert {name for name, kind in KINDS.items() if kind.is_interactive} == {
        "checkin",
        "cards",
        "vote",
        "recommendations",
    }


FIELD_NAMES = sorted({name for kind in KINDS.values() for name in kind.config_model.model_fields})
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-100, 10**6) | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)
json_configs = st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=6), json_values, max_size=5)


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(sorted(KINDS)), config=json_configs | json_values)
def test_any_json_config_validates_or_raises_config_error(kind, config):
    try:
        validated = get_kind(kind).validate(config)
    except ConfigError as error:
        assert error.errors
    else:
        assert get_kind(kind).validate(validated) == validated
