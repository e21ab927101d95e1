"""The suggestion engine's mathematics: tight groups of cards, themes of groups, and their labels.

Pure: no Flask, no database; vectors in, indices and words out. Precise before complete: a moderator
who rejects a bad suggestion once stops trusting the button. So :func:`propose_groups` cuts an
average-linkage dendrogram (cosine distance) tightly and proposes only groups of at least
``MIN_GROUP`` cards, leaving every doubtful card unassigned; :func:`propose_themes` then proposes
which groups (or clusters) belong to one theme, with the same linkage over their members at a looser
cut. :func:`describe` names a group by class-based TF-IDF on German stems: the most distinctive
nouns, shown in their most frequent spelling, plus the most central card as the example.

Memory: average linkage needs every pairwise distance, n²/2 of them; ``MAX_CARDS`` keeps that at
about 16 MB (a full matrix of 10,000 cards would need gigabytes). Callers pass at most that many
cards per run and propose the rest in the next one.
"""

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np
import snowballstemmer
from scipy import sparse
from scipy.cluster.hierarchy import fcluster, linkage

#: Fewest cards of a proposed group: two similar cards are too often a coincidence.
MIN_GROUP = 3
#: Most cards clustered in one run (n²/2 distances as float64: 2,000 cards → 16 MB).
MAX_CARDS = 2000
#: Granularity levels: −2 (fewer, larger themes) … +2 (more, smaller ones).
GRANULARITIES = (-2, -1, 0, 1, 2)

#: Cosine distance cuts per engine and granularity: (tight groups, themes). Measured on the labelled
#: set in ``tests/clustering/data`` (see ``docs/performance.md``): for the centred e5 vectors the
#: default group cut is the 2 % quantile of all pairwise distances, the theme cut the 12 % quantile.
CUTS = {
    "e5": {-2: (0.680, 0.800), -1: (0.655, 0.775), 0: (0.630, 0.745), 1: (0.605, 0.715), 2: (0.580, 0.690)},
    "tfidf": {-2: (0.900, 0.965), -1: (0.875, 0.955), 0: (0.850, 0.945), 1: (0.830, 0.930), 2: (0.800, 0.915)},
}


def cuts(engine: str, granularity: int = 0) -> tuple[float, float]:
    """The (group, theme) distance cuts of ``engine`` at ``granularity`` (clamped to −2 … +2)."""
    return CUTS[engine][max(-2, min(2, int(granularity)))]


# -- similarity and linkage -----------------------------------------------------------------------------


def similarities(vectors) -> np.ndarray:
    """Cosine similarities of normalised row vectors (dense array or scipy sparse matrix), float32."""
    if sparse.issparse(vectors):
        product = (vectors @ vectors.T).toarray()
    else:
        matrix = np.asarray(vectors, dtype=np.float32)
        product = matrix @ matrix.T
    return np.clip(product.astype(np.float32), -1.0, 1.0)


def _condensed_distances(similarity: np.ndarray) -> np.ndarray:
    """The upper triangle of 1 − similarity, as scipy's linkage wants it."""
    rows, columns = np.triu_indices(len(similarity), k=1)
    return np.clip(1.0 - similarity[rows, columns].astype(np.float64), 0.0, 2.0)


def _average_linkage_labels(similarity: np.ndarray, max_distance: float) -> np.ndarray:
    """Flat clusters of an average-linkage dendrogram cut at ``max_distance``."""
    if len(similarity) < 2:
        return np.ones(len(similarity), dtype=int)
    tree = linkage(_condensed_distances(similarity), method="average")
    return fcluster(tree, t=max_distance, criterion="distance")


def _ordered(groups: list[list[int]]) -> list[list[int]]:
    """Largest groups first, ties by their first member: the same input gives the same order."""
    return sorted((sorted(group) for group in groups), key=lambda group: (-len(group), group[0]))


def propose_groups(
    vectors, *, max_distance: float, min_size: int = MIN_GROUP, similarity: np.ndarray | None = None
) -> list[list[int]]:
    """Tight groups of close cards: indices into ``vectors``, each group at least ``min_size`` long.

    Cards that end up in smaller groups are left out (unassigned): they are the doubtful ones.
    """
    count = vectors.shape[0]
    if count > MAX_CARDS:
        raise ValueError(f"at most {MAX_CARDS} cards per run, not {count}")
    if count < min_size:
        return []
    similarity = similarities(vectors) if similarity is None else similarity
    labels = _average_linkage_labels(similarity, max_distance)
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(int(label), []).append(index)
    return _ordered([group for group in groups.values() if len(group) >= min_size])


def propose_themes(vectors, groups: Sequence[Sequence[int]], *, max_distance: float) -> list[list[int]]:
    """Which ``groups`` (lists of indices into ``vectors``) form one theme: lists of group indices.

    Average linkage over the groups' members: the distance of two groups is the mean distance of
    their cards, which for normalised vectors is 1 − (sum A · sum B) / (|A| |B|). Only themes of two
    or more groups are returned.
    """
    groups = [list(group) for group in groups]
    if len(groups) < 2 or any(not group for group in groups):
        return []
    sums = np.vstack([_row_sum(vectors, group) for group in groups]).astype(np.float64)
    dots = sums @ sums.T  # dot products of the group sums; merging two groups adds their rows
    sizes = np.array([len(group) for group in groups], dtype=np.float64)
    members = [[index] for index in range(len(groups))]
    active = np.ones(len(groups), dtype=bool)
    while active.sum() > 1:
        distance = 1.0 - dots / np.outer(sizes, sizes)
        distance[~active, :] = np.inf
        distance[:, ~active] = np.inf
        np.fill_diagonal(distance, np.inf)
        a, b = np.unravel_index(np.argmin(distance), distance.shape)
        if distance[a, b] > max_distance:
            break
        a, b = min(a, b), max(a, b)
        dots[a, :] += dots[b, :]
        dots[:, a] += dots[:, b]
        sizes[a] += sizes[b]
        members[a] += members[b]
        active[b] = False
    themes = [sorted(members[index]) for index in np.flatnonzero(active) if len(members[index]) > 1]
    return sorted(themes, key=lambda theme: theme[0])


def _row_sum(vectors, indices: Sequence[int]) -> np.ndarray:
    rows = vectors[list(indices)]
    total = rows.sum(axis=0)
    return np.asarray(total).ravel()


def central_member(vectors, members: Sequence[int], similarity: np.ndarray | None = None) -> int:
    """The member most similar to the others on average (the group's example card)."""
    members = list(members)
    if len(members) == 1:
        return members[0]
    block = similarity[np.ix_(members, members)] if similarity is not None else similarities(vectors[members])
    scores = block.sum(axis=1)
    return members[int(np.argmax(scores))]


# -- labels ------------------------------------------------------------------------------------------------

_stemmer = snowballstemmer.stemmer("german")
_WORD = re.compile(r"[A-Za-zÄÖÜäöüß][A-Za-zÄÖÜäöüß0-9]*(?:-[A-Za-zÄÖÜäöüß0-9]+)*")
#: Words that say nothing about a topic, even when capitalised at the start of a card.
STOPWORDS = frozenset(
    line.strip()
    for line in resources.files("facilitation.clustering")
    .joinpath("data", "stopwords_de.txt")
    .read_text("utf-8")
    .split("\n")
    if line.strip() and not line.startswith("#")
)
_ADJECTIVE_ENDINGS = (
    *("liche", "lichen", "licher", "ische", "ischen", "ige", "igen", "iger", "ere", "eren"),
    *("ale", "alen", "elle", "ellen", "ive", "iven"),
)


@dataclass(frozen=True)
class Description:
    """What a proposal is called: a label from its most distinctive nouns, the terms behind it, an example."""

    label: str
    terms: tuple[str, ...]
    example: int


def _nouns(text: str, lowercase_stems: frozenset[str] = frozenset()) -> list[str]:
    """Capitalised words that are probably nouns (German capitalises them), stopwords left out.

    A card's first word is capitalised anyway: it counts as a noun only if it does not look like an
    adjective and its stem is not written in lower case elsewhere (``lowercase_stems``).
    """
    words = _WORD.findall(text)
    nouns = []
    for position, word in enumerate(words):
        if not word[0].isupper() or word.lower() in STOPWORDS or len(word) < 3:
            continue
        if position == 0 and (word.lower().endswith(_ADJECTIVE_ENDINGS) or _stem(word) in lowercase_stems):
            continue  # "Einheitliche Standards …", "Digitale Akte …"
        nouns.append(word)
    return nouns


def _stem(word: str) -> str:
    return _stemmer.stemWord(word.lower())


def describe(
    texts: Sequence[str],
    groups: Sequence[Sequence[int]],
    vectors=None,
    *,
    similarity: np.ndarray | None = None,
    max_terms: int = 3,
) -> list[Description]:
    """Label each group by class-based TF-IDF on noun stems against all ``texts``.

    Every group is one class and the cards outside all groups form one more, so that words common to
    the whole step (e.g. "Jugendamt") do not make a label. A term scores tf(term, class) ×
    log(1 + average words per class / frequency of the term in all classes); stems used in at least
    two of the group's cards come first. The label shows the best one or two terms in their most
    frequent spelling; without any noun it is the example card's text.
    """
    lowercase_stems = frozenset(_stem(word) for text in texts for word in _WORD.findall(text) if word[0].islower())
    card_nouns = [_nouns(text, lowercase_stems) for text in texts]
    surface: dict[str, Counter] = {}
    for nouns in card_nouns:
        for noun in nouns:
            surface.setdefault(_stem(noun), Counter())[noun] += 1
    grouped = {index for group in groups for index in group}
    classes = [list(group) for group in groups] + [[i for i in range(len(texts)) if i not in grouped]]
    class_terms = [Counter(_stem(noun) for index in members for noun in card_nouns[index]) for members in classes]
    total = Counter()
    for terms in class_terms:
        total.update(terms)
    average_words = max(1.0, sum(sum(terms.values()) for terms in class_terms) / len(class_terms))

    descriptions = []
    for group, terms in zip(groups, class_terms[:-1], strict=True):
        in_cards = Counter(stem for index in group for stem in {_stem(noun) for noun in card_nouns[index]})
        size = max(1, sum(terms.values()))
        scored = sorted(
            (
                (in_cards[stem] >= 2, (count / size) * math.log(1 + average_words / total[stem]), stem)
                for stem, count in terms.items()
            ),
            key=lambda item: (not item[0], -item[1], item[2]),
        )
        chosen = [stem for shared, _score, stem in scored[:max_terms] if shared or not scored[0][0]]
        words = tuple(surface[stem].most_common(1)[0][0] for stem in chosen)
        example = central_member(vectors, group, similarity) if vectors is not None else min(group)
        label = " · ".join(words[:2]) if words else _shorten(texts[example])
        descriptions.append(Description(label=label[:120], terms=words, example=example))
    return descriptions


def _shorten(text: str, length: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"


# -- quality ------------------------------------------------------------------------------------------------


def purity_and_coverage(groups: Sequence[Sequence[int]], truth: Sequence[str]) -> tuple[float, float]:
    """Share of grouped cards that belong to their group's majority theme, and share of cards grouped."""
    grouped = sum(len(group) for group in groups)
    if not grouped:
        return 0.0, 0.0
    majority = sum(Counter(truth[index] for index in group).most_common(1)[0][1] for group in groups)
    return majority / grouped, grouped / len(truth)
