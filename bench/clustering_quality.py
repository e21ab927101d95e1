"""How good and how fast are the clustering suggestions? Prints a Markdown report for docs/performance.md.

    .venv/bin/python bench/clustering_quality.py            # quality on the labelled set, timing to 1,000 cards
    .venv/bin/python bench/clustering_quality.py --quick    # quality only

Quality on ``tests/clustering/data/cards_de.tsv`` (labelled German workshop cards), per engine and
granularity:
- purity and coverage of the proposed tight groups (what the moderator is offered first);
- ARI and V-measure of the final themes: groups merged as proposed, every card left over assigned to
  its nearest theme (what the board looks like once the moderator has placed the rest the same way);
- for comparison, a full partition into as many clusters as there are themes (average linkage).
Timing: embedding per card, and grouping + themes + labels for 100 and 1,000 cards.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score, v_measure_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from facilitation.clustering import algorithms, embedding  # noqa: E402

LABELLED = ROOT / "tests" / "clustering" / "data" / "cards_de.tsv"


def load_labelled() -> tuple[list[str], list[str]]:
    rows = [line.split("\t") for line in LABELLED.read_text("utf-8").splitlines() if line and not line.startswith("#")]
    return [text for _theme, text in rows], [theme for theme, _text in rows]


def vectors_for(engine: str, texts: list[str]):
    if engine == "e5":
        return embedding.centre(embedding.embed(texts), embedding.reference())
    return embedding.tfidf_vectors(texts)


def final_themes(vectors, similarity, groups, themes) -> np.ndarray:
    """A label per card: merged groups as themes, the rest assigned to the nearest theme."""
    merged = {index for theme in themes for index in theme}
    clusters = [sorted({card for g in theme for card in groups[g]}) for theme in themes]
    clusters += [groups[index] for index in range(len(groups)) if index not in merged]
    labels = np.full(similarity.shape[0], -1)
    for number, members in enumerate(clusters):
        labels[members] = number
    if not clusters:
        return np.zeros(similarity.shape[0], dtype=int)
    for card in np.flatnonzero(labels < 0):
        scores = [similarity[card, members].mean() for members in clusters]
        labels[card] = int(np.argmax(scores))
    return labels


def full_partition(similarity, k: int) -> np.ndarray:
    from scipy.cluster.hierarchy import fcluster, linkage

    tree = linkage(algorithms._condensed_distances(similarity), method="average")
    return fcluster(tree, t=k, criterion="maxclust")


def quality(engine: str, texts: list[str], truth: list[str]) -> list[str]:
    started = time.perf_counter()
    vectors = vectors_for(engine, texts)
    embed_seconds = time.perf_counter() - started
    similarity = algorithms.similarities(vectors)
    lines = []
    for level in algorithms.GRANULARITIES:
        group_cut, theme_cut = algorithms.cuts(engine, level)
        groups = algorithms.propose_groups(vectors, max_distance=group_cut, similarity=similarity)
        themes = algorithms.propose_themes(vectors, groups, max_distance=theme_cut)
        purity, coverage = algorithms.purity_and_coverage(groups, truth)
        labels = final_themes(vectors, similarity, groups, themes)
        final_count = len(set(labels.tolist()))
        lines.append(
            f"| {engine} | {level:+d} | {group_cut:.3f} | {len(groups)} | {purity:.0%} | {coverage:.0%} "
            f"| {len(themes)} | {final_count} | {adjusted_rand_score(truth, labels):.2f} "
            f"| {v_measure_score(truth, labels):.2f} |"
        )
    k = len(set(truth))
    partition = full_partition(similarity, k)
    purity, _ = algorithms.purity_and_coverage(
        [list(np.flatnonzero(partition == c)) for c in np.unique(partition)], truth
    )
    lines.append(
        f"| {engine} | full partition, k = {k} | – | {k} | {purity:.0%} | 100% | – | {k} "
        f"| {adjusted_rand_score(truth, partition):.2f} | {v_measure_score(truth, partition):.2f} |"
    )
    print(f"{engine}: vectors for {len(texts)} cards in {embed_seconds:.2f} s", file=sys.stderr)
    return lines


# -- alternatives (measured, not adopted: see docs/performance.md) ---------------------------------------------


def nearest_neighbour_accuracy(similarity: np.ndarray, truth: list[str]) -> float:
    """Share of cards whose most similar other card has the same theme: a ceiling for pure groups."""
    labels = np.asarray(truth)
    masked = similarity.copy()
    np.fill_diagonal(masked, -np.inf)
    return float((labels[masked.argmax(axis=1)] == labels).mean())


def _tree_groups(similarity: np.ndarray, method: str):
    from scipy.cluster.hierarchy import fcluster, linkage

    tree = linkage(algorithms._condensed_distances(similarity), method=method)
    for cut in np.unique(np.round(tree[:, 2], 4)):
        labels = fcluster(tree, t=cut, criterion="distance")
        yield [list(np.flatnonzero(labels == c)) for c in np.unique(labels) if (labels == c).sum() >= 3]


def _closer_to_own_group(similarity: np.ndarray, groups: list[list[int]]) -> list[list[int]]:
    """Keep a card only if it is closer on average to its own group than to any other proposed group."""
    kept = []
    for number, group in enumerate(groups):
        members = []
        for card in group:
            own = (similarity[card, group].sum() - similarity[card, card]) / (len(group) - 1)
            other = max((similarity[card, g].mean() for n, g in enumerate(groups) if n != number), default=-1.0)
            if own > other:
                members.append(card)
        if len(members) >= 3:
            kept.append(members)
    return kept


def _shared_neighbours(similarity: np.ndarray, k: int) -> np.ndarray:
    masked = similarity.copy()
    np.fill_diagonal(masked, -np.inf)
    near = np.zeros_like(similarity)
    np.put_along_axis(near, np.argsort(-masked, axis=1)[:, :k], 1.0, axis=1)
    return (near @ near.T) / k


def _mutual_neighbour_groups(similarity: np.ndarray, k: int, floor: float) -> list[list[int]]:
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    masked = similarity.copy()
    np.fill_diagonal(masked, -np.inf)
    near = np.zeros(similarity.shape, dtype=bool)
    np.put_along_axis(near, np.argsort(-masked, axis=1)[:, :k], True, axis=1)
    count, labels = connected_components(csr_matrix(near & near.T & (similarity >= floor)), directed=False)
    return [list(np.flatnonzero(labels == c)) for c in range(count) if (labels == c).sum() >= 3]


def frontier(candidates, truth) -> dict[str, float]:
    """Best coverage at a purity floor, and best purity at a coverage floor, over candidate groupings."""
    points = [algorithms.purity_and_coverage(groups, truth) for groups in candidates]
    result = {f"coverage at ≥ {p:.0%} pure": max([c for q, c in points if q >= p] or [0.0]) for p in (0.7, 0.8, 0.85)}
    result |= {f"purity at ≥ {c:.0%} coverage": max([q for q, d in points if d >= c] or [0.0]) for c in (0.3, 0.4, 0.5)}
    return result


def alternatives(texts: list[str], truth: list[str]) -> list[str]:
    """The trade-off of purity against coverage for each tried alternative, over all its parameters."""
    e5 = vectors_for("e5", texts)
    similarity = algorithms.similarities(e5)
    ngrams = algorithms.similarities(embedding.tfidf_vectors(texts))
    quantiles = np.quantile(similarity[np.triu_indices(len(texts), 1)], [0.9, 0.95, 0.98])
    variants = {
        "average linkage, global cut (adopted)": list(_tree_groups(similarity, "average")),
        "complete linkage": list(_tree_groups(similarity, "complete")),
        "average linkage + cards closer to own group than to any other": [
            _closer_to_own_group(similarity, groups) for groups in _tree_groups(similarity, "average")
        ],
        "shared nearest neighbours (k = 5, 10, 15), average linkage": [
            groups for k in (5, 10, 15) for groups in _tree_groups(_shared_neighbours(similarity, k), "average")
        ],
        "mutual k-nearest neighbours (k = 2…10, similarity floors)": [
            _mutual_neighbour_groups(similarity, k, floor) for k in range(2, 11) for floor in (-1.0, *quantiles)
        ],
    }
    for weight in (0.2, 0.3, 0.5):
        variants[f"hybrid {1 - weight:.1f} · e5 + {weight:.1f} · n-grams"] = list(
            _tree_groups((1 - weight) * similarity + weight * ngrams, "average")
        )
    keys = list(frontier([[]], truth))
    lines = [
        f"1-NN accuracy: e5 {nearest_neighbour_accuracy(similarity, truth):.2f}, "
        f"n-grams {nearest_neighbour_accuracy(ngrams, truth):.2f}, "
        f"hybrid 0.7/0.3 {nearest_neighbour_accuracy(0.7 * similarity + 0.3 * ngrams, truth):.2f}\n",
        "| alternative | " + " | ".join(keys) + " |",
        "| --- |" + " --- |" * len(keys),
    ]
    for name, candidates in variants.items():
        best = frontier(candidates, truth)
        lines.append(f"| {name} | " + " | ".join(f"{best[key]:.0%}" for key in keys) + " |")
    return lines


def timing(engine: str, texts: list[str], sizes=(100, 1000)) -> list[str]:
    lines = []
    for size in sizes:
        cards = [
            f"{texts[i % len(texts)]} ({i // len(texts) + 1})" if i >= len(texts) else texts[i] for i in range(size)
        ]
        started = time.perf_counter()
        vectors = vectors_for(engine, cards)
        vectorised = time.perf_counter()
        group_cut, theme_cut = algorithms.cuts(engine, 0)
        similarity = algorithms.similarities(vectors)
        groups = algorithms.propose_groups(vectors, max_distance=group_cut, similarity=similarity)
        algorithms.propose_themes(vectors, groups, max_distance=theme_cut)
        algorithms.describe(cards, groups, vectors, similarity=similarity)
        done = time.perf_counter()
        lines.append(
            f"| {engine} | {size:,} | {vectorised - started:.2f} s | {(vectorised - started) / size * 1000:.0f} ms "
            f"| {done - vectorised:.2f} s |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="quality only, no timing up to 1,000 cards")
    parser.add_argument("--alternatives", action="store_true", help="only the alternatives tried for the e5 engine")
    args = parser.parse_args()
    texts, truth = load_labelled()
    if args.alternatives:
        print("\n".join(alternatives(texts, truth)))
        return
    engines = ["e5", "tfidf"] if embedding.is_e5_available() else ["tfidf"]
    print(f"Labelled set: {len(texts)} cards in {len(set(truth))} themes ({LABELLED.relative_to(ROOT)}).\n")
    print(
        "| engine | granularity | group cut | groups | purity | coverage | themes proposed | final clusters "
        "| ARI | V-measure |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for engine in engines:
        print("\n".join(quality(engine, texts, truth)))
    if args.quick:
        return
    print("\n| engine | cards | vectors | per card | groups, themes, labels |")
    print("| --- | --- | --- | --- | --- |")
    for engine in engines:
        print("\n".join(timing(engine, texts)))


if __name__ == "__main__":
    main()
