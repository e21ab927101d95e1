"""Small-cell suppression and reach for breakdowns by group (organisation, role).

Pure: no Flask app, no database. The one implementation that every screen and export uses, so that
nobody can be singled out by a breakdown:

- a group with fewer than ``k`` members who voted is *small*: it is shown as "< k", nothing of it;
- because the total of all groups is shown too, a single hidden group could be worked out as
  "total minus the groups shown". So small groups are always hidden *together* with enough other
  groups (the smallest first) that the hidden ones add up to at least ``k`` people, and only their
  sum is shown ("übrige Gruppen zusammen");
- when even all groups together have fewer than ``k`` members, no group is shown at all;
- reach ("in 7 von 8 Jugendämtern") counts an organisation only when it has at least ``k`` voters,
  so it never tells what a small organisation voted for.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

#: Figures of a cell that add up across groups (means are worked out from them afterwards).
ADDITIVE = ("voters", "total", "sum_x", "sum_y")


@dataclass(frozen=True)
class Suppression:
    """Which groups a breakdown hides, and why."""

    k: int
    #: Groups with 1 … k-1 members.
    small: frozenset = field(default_factory=frozenset)
    #: Larger groups hidden as well, so that the small ones cannot be derived from the total.
    complementary: frozenset = field(default_factory=frozenset)

    @property
    def hidden(self) -> frozenset:
        return self.small | self.complementary

    def status(self, group) -> str:
        if group in self.small:
            return "small"
        return "complementary" if group in self.complementary else "shown"


def suppress(sizes: Mapping, k: int) -> Suppression:
    """Decide which groups to hide, given each group's number of members (people who voted)."""
    small = {group for group, size in sizes.items() if 0 < size < k}
    hidden = set(small)
    if small:
        others = sorted(
            (g for g, size in sizes.items() if g not in hidden and size > 0), key=lambda g: (sizes[g], str(g))
        )
        hidden_size = sum(sizes[g] for g in hidden)
        # Hide the smallest other groups too until the hidden ones together are no small group.
        while hidden_size < k and others:
            group = others.pop(0)
            hidden.add(group)
            hidden_size += sizes[group]
    return Suppression(k, frozenset(small), frozenset(hidden - small))


def add_cells(cells: Iterable[Mapping]) -> dict:
    """Sum the additive figures of several cells."""
    total = dict.fromkeys(ADDITIVE, 0)
    for cell in cells:
        for name in ADDITIVE:
            total[name] += cell.get(name, 0) or 0
    return total


@dataclass(frozen=True)
class Row:
    group: object
    #: ``shown``, ``small`` (fewer than k) or ``complementary`` (hidden to protect a small group).
    status: str
    #: Members and cells; ``None`` for hidden groups: they never leave this module.
    size: int | None
    cells: dict | None


@dataclass(frozen=True)
class Table:
    k: int
    rows: list[Row]
    #: The hidden groups added up, or ``None`` when nothing is hidden or they are fewer than k together.
    rest: Row | None
    total: Row


def suppressed_table(
    sizes: Mapping, cells: Mapping[object, Mapping[object, Mapping]], k: int, order: Iterable
) -> Table:
    """A breakdown table: groups (in ``order``) × columns, with small groups suppressed.

    ``cells[group][column]`` holds additive figures (see ``ADDITIVE``). The total row and the rest row
    are sums over every group, so shown rows + rest = total, and nothing finer can be worked out.
    """
    suppression = suppress(sizes, k)
    columns = {column for by_column in cells.values() for column in by_column}

    def summed(groups) -> dict:
        return {column: add_cells(cells.get(g, {}).get(column, {}) for g in groups) for column in columns}

    rows = []
    for group in order:
        if not sizes.get(group):
            continue
        status = suppression.status(group)
        if status == "shown":
            rows.append(Row(group, status, sizes[group], summed([group])))
        else:
            rows.append(Row(group, status, None, None))
    hidden = [g for g in sizes if g in suppression.hidden]
    hidden_size = sum(sizes[g] for g in hidden)
    rest = Row("rest", "shown", hidden_size, summed(hidden)) if hidden and hidden_size >= k else None
    present = [g for g in sizes if sizes[g]]
    total = Row("total", "shown", sum(sizes[g] for g in present), summed(present))
    return Table(k, rows, rest, total)


# -- reach ----------------------------------------------------------------------------------------------


def families(organisations: Iterable[str]) -> dict[str, list[str]]:
    """Organisations of a list that share their first word with at least one other, by that word.

    The eight "Jugendamt …" of the check-in list form the family "Jugendamt".
    """
    by_word: dict[str, list[str]] = {}
    for name in organisations:
        word = name.split()[0] if name.split() else ""
        if word:
            by_word.setdefault(word, []).append(name)
    return {word: names for word, names in by_word.items() if len(names) > 1}


@dataclass(frozen=True)
class Reach:
    """``reached`` of ``of`` organisations voted for an option; ``uncounted`` had too few voters to tell."""

    reached: int
    of: int
    uncounted: int


def reach(organisations: Iterable[str], sizes: Mapping[str, int], chose: Iterable[str], k: int) -> Reach:
    """How many of ``organisations`` voted for an option: those with at least ``k`` voters of whom at
    least one chose it (``chose``: the organisations of everyone who chose it)."""
    organisations = list(organisations)
    chose = set(chose)
    counted = [o for o in organisations if sizes.get(o, 0) >= k]
    return Reach(
        reached=sum(1 for o in counted if o in chose),
        of=len(organisations),
        uncounted=sum(1 for o in organisations if 0 < sizes.get(o, 0) < k),
    )
