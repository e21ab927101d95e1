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
    args = parser.parse_args()
    texts, truth = load_labelled()
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
