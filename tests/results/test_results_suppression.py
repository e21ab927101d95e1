"""Small-cell suppression and reach: pure, without an app."""

from hypothesis import given
from hypothesis import strategies as st

from facilitation.results.suppression import Reach, families, reach, suppress, suppressed_table


def cells_for(sizes: dict) -> dict:
    """One column "a": each member of a group chose it once and gave it 2 points."""
    return {g: {"a": {"voters": n, "total": 2 * n, "sum_x": 0, "sum_y": 0}} for g, n in sizes.items()}


def test_no_small_group_hides_nothing():
    suppression = suppress({"Rostock": 5, "Schwerin": 12}, k=5)
    assert suppression.hidden == frozenset()


def test_a_small_group_is_hidden_with_the_smallest_other_one():
    # Total 39 is shown: hiding only Greifswald (3) would reveal it as 39 − 10 − 20 − 6.
    suppression = suppress({"Rostock": 10, "Schwerin": 20, "Greifswald": 3, "Land": 6}, k=5)

    assert suppression.small == {"Greifswald"}
    assert suppression.complementary == {"Land"}
    assert suppression.status("Greifswald") == "small"
    assert suppression.status("Land") == "complementary"
    assert suppression.status("Rostock") == "shown"


def test_small_groups_that_add_up_to_k_protect_each_other():
    suppression = suppress({"Rostock": 10, "Greifswald": 3, "Land": 2}, k=5)
    assert (suppression.small, suppression.complementary) == ({"Greifswald", "Land"}, frozenset())


def test_small_groups_below_k_together_take_more_groups_along():
    suppression = suppress({"Rostock": 10, "Schwerin": 7, "Greifswald": 1, "Land": 2}, k=5)
    assert suppression.complementary == {"Schwerin"}


def test_everybody_in_small_groups_hides_every_group():
    assert suppress({"Rostock": 2, "Land": 1}, k=5).hidden == {"Rostock", "Land"}


def test_a_table_shows_large_groups_and_the_hidden_ones_only_together():
    sizes = {"Rostock": 10, "Schwerin": 20, "Greifswald": 3, "Land": 6, "Politik": 0}

    table = suppressed_table(sizes, cells_for(sizes), 5, ["Rostock", "Schwerin", "Greifswald", "Land", "Politik"])

    assert [(r.group, r.status, r.size) for r in table.rows] == [
        ("Rostock", "shown", 10),
        ("Schwerin", "shown", 20),
        ("Greifswald", "small", None),
        ("Land", "complementary", None),
    ]
    assert table.rows[2].cells is None and table.rows[3].cells is None
    assert table.rest.size == 9 and table.rest.cells["a"]["total"] == 18
    assert table.total.size == 39 and table.total.cells["a"]["voters"] == 39
    shown = sum(r.cells["a"]["voters"] for r in table.rows if r.cells)
    assert shown + table.rest.cells["a"]["voters"] == table.total.cells["a"]["voters"]


def test_a_table_of_only_small_groups_shows_the_total_only():
    sizes = {"Rostock": 2, "Land": 1}
    table = suppressed_table(sizes, cells_for(sizes), 5, ["Rostock", "Land"])
    assert all(r.cells is None for r in table.rows)
    assert table.rest is None
    assert table.total.size == 3


@given(
    sizes=st.dictionaries(st.sampled_from("ABCDEFGHIJ"), st.integers(0, 12), max_size=10),
    k=st.integers(1, 8),
)
def test_no_hidden_group_can_be_worked_out_from_the_rest(sizes, k):
    table = suppressed_table(sizes, cells_for(sizes), k, sorted(sizes))
    present = {g for g, n in sizes.items() if n}
    hidden = {r.group for r in table.rows if r.status != "shown"}
    # Every group below k is hidden; what is hidden is k or more people, or everybody.
    assert {g for g in present if sizes[g] < k} <= hidden
    if hidden:
        assert sum(sizes[g] for g in hidden) >= k or hidden == present
        assert len(hidden) >= 2 or hidden == present
    # Rows, rest and total agree, so that the rest is exactly the hidden groups together.
    shown = sum(r.size for r in table.rows if r.status == "shown")
    rest = table.rest.size if table.rest else 0
    if hidden != present:
        assert shown + rest == table.total.size
    assert all(r.cells is None and r.size is None for r in table.rows if r.status != "shown")


def test_families_are_organisations_sharing_their_first_word():
    names = ["Jugendamt Rostock", "Jugendamt Schwerin", "Land", "Freier Träger", "Landkreis Rostock"]
    assert families(names) == {"Jugendamt": ["Jugendamt Rostock", "Jugendamt Schwerin"]}


def test_reach_counts_only_organisations_with_at_least_k_voters():
    ämter = [f"Jugendamt {n}" for n in range(1, 9)]
    sizes = {name: 6 for name in ämter[:7]} | {ämter[7]: 2}

    result = reach(ämter, sizes, chose=ämter, k=5)

    # The eighth office chose it too, but with two voters that must not show.
    assert result == Reach(reached=7, of=8, uncounted=1)
    assert reach(ämter, sizes, chose=ämter[:3], k=5) == Reach(3, 8, 1)
    assert reach(ämter, {}, chose=[], k=5) == Reach(0, 8, 0)
