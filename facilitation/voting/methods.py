"""The voting methods: what a ballot may hold, and what the tallies say.

Pure: no Flask app, no database. Each method checks a whole ballot against the step's config (and
refuses it whole with a message for people) and turns the tallies — how many ballots gave each
option each value — into the results of every option. The registry ``METHODS`` replaces
``if method == …`` chains; the names are those of ``activities.registry.VoteMethod``.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from facilitation.modeling import DomainError

#: Values of the agreement scale and of fist-of-five.
SCALE_VALUES = range(1, 6)
FIST_VALUES = range(0, 6)
#: Fist-of-five passes when everyone shows at least this many fingers.
FIST_PASS = 3
#: Matrix positions are stored in hundredths of the axis.
MATRIX_STEPS = 100


class BallotError(DomainError):
    """A ballot that breaks a rule of its step; nothing of it is stored."""

    code = "ballot"


@dataclass(frozen=True)
class Entry:
    """One option on a ballot: dots, points, a rank or a scale value; or a position on the matrix."""

    option_id: int
    value: int = 1
    x: float | None = None
    y: float | None = None


@dataclass(frozen=True)
class Bucket:
    """The tally of one option and value: how many ballots, and their matrix positions summed up."""

    entries: int = 0
    sum_x: int = 0
    sum_y: int = 0


#: ``{option_id: {value: Bucket}}`` — what ``voting.services`` keeps running and recounts.
Buckets = dict[int, dict[int, Bucket]]


def to_steps(coordinate: float) -> int:
    """A matrix coordinate (0–1) in hundredths; what tallies sum up."""
    return round(coordinate * MATRIX_STEPS)


def buckets_of(entries: Iterable[Entry]) -> Buckets:
    """Tally entries (e.g. one ballot's, to add or take away)."""
    buckets: Buckets = {}
    for entry in entries:
        old = buckets.setdefault(entry.option_id, {}).get(entry.value, Bucket())
        buckets[entry.option_id][entry.value] = Bucket(
            old.entries + 1,
            old.sum_x + (to_steps(entry.x) if entry.x is not None else 0),
            old.sum_y + (to_steps(entry.y) if entry.y is not None else 0),
        )
    return buckets


@dataclass(frozen=True)
class Method:
    name: str
    label: object
    #: Results are listed by score (a ranking) instead of in the order of the options.
    is_ranked: bool = True
    #: Whether "chose it" makes sense (reach and counts per group).
    has_choices: bool = True
    extra: dict = field(default_factory=dict)

    # -- ballots ------------------------------------------------------------------------------------

    def check(self, entries: list[Entry], config: dict, *, options: set[int], own: set[int]) -> list[Entry]:
        """Return the ballot's entries, normalised, or raise :class:`BallotError` for the whole ballot.

        ``options`` are the ids that may be voted on in this step; ``own`` those the voter proposed.
        An empty list is a valid ballot: it takes the vote back.
        """
        seen = set()
        for entry in entries:
            if entry.option_id not in options:
                raise BallotError(_l("Ein Thema auf dem Stimmzettel gehört nicht zu dieser Abstimmung."), code="option")
            if entry.option_id in seen:
                raise BallotError(_l("Jedes Thema darf nur einmal auf dem Stimmzettel stehen."), code="duplicate")
            seen.add(entry.option_id)
            if self.name != "matrix" and (entry.x is not None or entry.y is not None):
                raise BallotError(_l("Diese Abstimmung hat keine Matrix."), code="ballot")
        if not entries:
            return []
        return self._check(entries, config, own)

    def _check(self, entries: list[Entry], config: dict, own: set[int]) -> list[Entry]:
        raise NotImplementedError

    def limit(self, config: dict) -> int | None:
        """What one person may spend in total (dots, points), or ``None``."""
        return None

    # -- results ------------------------------------------------------------------------------------

    def summarise(self, buckets: dict[int, Bucket], config: dict, ballots: int) -> dict:
        """Results of one option from its tallies by value."""
        voters = sum(b.entries for b in buckets.values())
        return {"voters": voters, **self._summarise(buckets, config, ballots, voters)}

    def _summarise(self, buckets: dict[int, Bucket], config: dict, ballots: int, voters: int) -> dict:
        return {"total": sum(value * b.entries for value, b in buckets.items())}

    def score(self, result: dict) -> float:
        """What the ranking of the options sorts by (higher first)."""
        return result.get("total", result["voters"])


def _values_in(entries: list[Entry], allowed: range, message) -> None:
    if any(entry.value not in allowed for entry in entries):
        raise BallotError(message, code="value")


class Dots(Method):
    def limit(self, config):
        return config.get("dots", 3)

    def _check(self, entries, config, own):
        dots, per_item = config.get("dots", 3), config.get("max_per_option", 1)
        _values_in(
            entries,
            range(1, per_item + 1),
            _l("Höchstens %(n)d Punkt pro Thema.", n=per_item)
            if per_item == 1
            else _l("Höchstens %(n)d Punkte pro Thema.", n=per_item),
        )
        spent = sum(entry.value for entry in entries)
        if spent > dots:
            raise BallotError(
                _l("Sie haben %(n)d Punkte, auf dem Stimmzettel sind %(spent)d.", n=dots, spent=spent), code="budget"
            )
        if config.get("not_own") and any(entry.option_id in own for entry in entries):
            raise BallotError(_l("Auf eigene Vorschläge können Sie keine Punkte setzen."), code="own")
        return [Entry(entry.option_id, entry.value) for entry in entries]


class Points(Method):
    def limit(self, config):
        return config.get("budget", 100)

    def _check(self, entries, config, own):
        budget = config.get("budget", 100)
        _values_in(entries, range(1, budget + 1), _l("Bitte ganze Punkte von 1 bis %(n)d pro Thema.", n=budget))
        spent = sum(entry.value for entry in entries)
        if spent > budget:
            raise BallotError(
                _l("Sie haben %(n)d Punkte, auf dem Stimmzettel sind %(spent)d.", n=budget, spent=spent),
                code="budget",
            )
        return [Entry(entry.option_id, entry.value) for entry in entries]


class Ranking(Method):
    def _check(self, entries, config, own):
        places = config.get("top_k", 3)
        if len(entries) > places:
            raise BallotError(_l("Bitte höchstens %(n)d Plätze vergeben.", n=places), code="budget")
        if sorted(entry.value for entry in entries) != list(range(1, len(entries) + 1)):
            raise BallotError(_l("Jeder Platz darf nur einmal vergeben werden, ohne Lücken ab Platz 1."), code="value")
        return [Entry(entry.option_id, entry.value) for entry in entries]

    def _summarise(self, buckets, config, ballots, voters):
        places = config.get("top_k", 3)
        ranks = sum(value * b.entries for value, b in buckets.items())
        return {
            # Borda count: place 1 of K earns K points, place K one.
            "score": sum((places + 1 - value) * b.entries for value, b in buckets.items() if value <= places),
            "firsts": buckets.get(1, Bucket()).entries,
            "mean_rank": round(ranks / voters, 2) if voters else None,
        }

    def score(self, result):
        return result["score"]


class Single(Method):
    def _check(self, entries, config, own):
        if len(entries) != 1:
            raise BallotError(_l("Bitte genau eine Antwort wählen."), code="budget")
        return [Entry(entries[0].option_id, 1)]

    def _summarise(self, buckets, config, ballots, voters):
        return {"share": round(voters / ballots, 4) if ballots else 0.0}

    def score(self, result):
        return result["voters"]


class Multiple(Single):
    def _check(self, entries, config, own):
        return [Entry(entry.option_id, 1) for entry in entries]


class Scale(Method):
    """An agreement value per statement: 1 (stimme nicht zu) … 5 (stimme voll zu), or fist-of-five 0–5."""

    values: range = SCALE_VALUES

    def _check(self, entries, config, own):
        low, high = self.values[0], self.values[-1]
        _values_in(entries, self.values, _l("Bitte Werte von %(low)d bis %(high)d wählen.", low=low, high=high))
        return [Entry(entry.option_id, entry.value) for entry in entries]

    def _summarise(self, buckets, config, ballots, voters):
        total = sum(value * b.entries for value, b in buckets.items())
        return {
            "distribution": {str(value): buckets.get(value, Bucket()).entries for value in self.values},
            "mean": round(total / voters, 2) if voters else None,
        }

    def score(self, result):
        return result["mean"] or 0


class Fist(Scale):
    values = FIST_VALUES

    def _summarise(self, buckets, config, ballots, voters):
        result = super()._summarise(buckets, config, ballots, voters)
        shown = [value for value, b in buckets.items() if b.entries]
        result["min"] = min(shown) if shown else None
        # Consent: everyone who answered shows at least three fingers.
        result["passes"] = bool(shown) and min(shown) >= FIST_PASS
        result["objections"] = sum(b.entries for value, b in buckets.items() if value < FIST_PASS)
        return result


class Matrix(Method):
    def _check(self, entries, config, own):
        placed = []
        for entry in entries:
            if entry.x is None or entry.y is None or not (0 <= entry.x <= 1 and 0 <= entry.y <= 1):
                raise BallotError(_l("Bitte jedes Thema auf beiden Achsen einordnen."), code="value")
            placed.append(Entry(entry.option_id, 1, to_steps(entry.x) / MATRIX_STEPS, to_steps(entry.y) / MATRIX_STEPS))
        return placed

    def _summarise(self, buckets, config, ballots, voters):
        sum_x = sum(b.sum_x for b in buckets.values())
        sum_y = sum(b.sum_y for b in buckets.values())
        if not voters:
            return {"x": None, "y": None, "quadrant": None}
        x, y = sum_x / voters / MATRIX_STEPS, sum_y / voters / MATRIX_STEPS
        return {"x": round(x, 3), "y": round(y, 3), "quadrant": quadrant(x, y)}

    def score(self, result):
        return (result["x"] or 0) + (result["y"] or 0)


def quadrant(x: float, y: float) -> str:
    """The quadrant of a matrix position: x is Wichtigkeit, y Dringlichkeit."""
    important, urgent = x >= 0.5, y >= 0.5
    if important and urgent:
        return "both"
    if important:
        return "important"
    return "urgent" if urgent else "neither"


METHODS: dict[str, Method] = {
    method.name: method
    for method in (
        Dots("dots", _l("Punkten")),
        Points("points", _l("Budget")),
        Ranking("ranking", _l("Rangfolge")),
        Single("single", _l("Einfachauswahl")),
        Multiple("multiple", _l("Mehrfachauswahl")),
        Scale("scale", _l("Zustimmungsskala"), is_ranked=False, has_choices=False),
        Fist("fist", _l("Fist-of-five"), is_ranked=False, has_choices=False),
        Matrix("matrix", _l("2×2-Matrix"), is_ranked=False, has_choices=False),
    )
}


def method_of(config: dict) -> Method:
    return METHODS[config.get("method", "dots")]


def results(method: Method, config: dict, options: list[dict], buckets: Buckets, ballots: int) -> list[dict]:
    """Every option (``{"id", "label", "position", …}``) with its results; ranked methods sorted by score,
    with competition ranks (1, 2, 2, 4)."""
    rows = [{**option, **method.summarise(buckets.get(option["id"], {}), config, ballots)} for option in options]
    if not method.is_ranked:
        return rows
    rows.sort(key=lambda row: (-method.score(row), row["position"]))
    for index, row in enumerate(rows):
        is_tie = index and method.score(rows[index - 1]) == method.score(row)
        row["rank"] = rows[index - 1]["rank"] if is_tie else index + 1
    return rows
