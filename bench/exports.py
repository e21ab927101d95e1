"""How long do the downloads of a large workshop take? Prints a Markdown table for docs/performance.md.

    .venv/bin/python bench/exports.py                 # 2,000 cards, median of 5 per format
    .venv/bin/python bench/exports.py --cards 500 --runs 3
    .venv/bin/python bench/exports.py --no-child       # only the exports in this process

Builds the demo agenda ("Strategie 2025–2030") on a fresh SQLite file: 400 participants across the 13
organisations and 8 roles of its check-in, CARDS approved cards on its two card questions (the
labelled German cards of ``tests/clustering/data/cards_de.tsv``, numbered beyond the first 180), all
of them placed in 12 clusters on the board, a dot vote of every participant on the 8 Zukunftsthemen,
8 Handlungsempfehlungen with a fist-of-five from every participant. Cards and consent answers are
written through the models in bulk (the benchmark measures the export, not 2,000 phone commands);
workshop, agenda, clusters and ballots go through the services.

Each format is timed end to end through ``exports.services.export_workshop`` (gathering the report
from the database included); the first run of each format is a warm-up and not counted. Besides the
wall-clock time the table shows the process's CPU time, which other work on a shared machine disturbs
less.

Then each format as the download route builds it: ``exports.services.export_in_child`` runs
``flask --app wsgi export-workshop`` in a child process (RUNS times each, no warm-up: every download
starts a fresh child). The second table shows its wall-clock time and the child's CPU time (from
``getrusage(RUSAGE_CHILDREN)``), and first the cost of the child's start alone (the same command with
``--help``: importing the app and its libraries). The load average before and after is printed, since
on a shared machine it explains most of the spread.
"""

import argparse
import io
import itertools
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from facilitation import create_app  # noqa: E402
from facilitation.accounts import services as account_services  # noqa: E402
from facilitation.activities import services as activity_services  # noqa: E402
from facilitation.clustering import services as clustering_services  # noqa: E402
from facilitation.exports import services  # noqa: E402
from facilitation.extensions import db  # noqa: E402
from facilitation.modeling import utcnow  # noqa: E402
from facilitation.participation import services as participation_services  # noqa: E402
from facilitation.participation.models import Card, CardStatus, Participant  # noqa: E402
from facilitation.recommendations import services as recommendation_services  # noqa: E402
from facilitation.recommendations.models import ConsentVote  # noqa: E402
from facilitation.voting import services as voting_services  # noqa: E402
from facilitation.voting.methods import Entry  # noqa: E402
from facilitation.workshops import services as workshop_services  # noqa: E402
from facilitation.workshops.models import WorkshopState  # noqa: E402

LABELLED = ROOT / "tests" / "clustering" / "data" / "cards_de.tsv"
THEMES = {
    "personal": "Personal gewinnen und halten",
    "belastung": "Belastung und Gesundheit der Fachkräfte",
    "beteiligung": "Beteiligung junger Menschen",
    "digital": "Digitalisierung der Fallarbeit",
    "fruehe_hilfen": "Frühe Hilfen stärken",
    "gesundheit": "Zusammenarbeit mit dem Gesundheitswesen",
    "laendlich": "Kinderschutz im ländlichen Raum",
    "oeffentlichkeit": "Öffentlichkeitsarbeit",
    "qualifizierung": "Einarbeitung und Qualifizierung",
    "schule": "Schule und Kita als Partner",
    "unterbringung": "Unterbringung und Inobhutnahme",
    "verfahren": "Verfahrensstandards im Kinderschutz",
}
PEOPLE = 400


def build(cards: int, seed: int = 7):
    """The benchmark workshop, ended; returns it."""
    rng = random.Random(seed)
    owner = account_services.create_account("bench@example.org", "bench-passwort-123", name="Bench Moderation")
    workshop = activity_services.import_definition(owner, activity_services.load_preset("strategie-2025-2030"))
    workshop_services.update_workshop(owner, workshop, venue="Güstrow", organiser="Bündnis Kinderschutz MV")
    workshop_services.change_state(owner, workshop, WorkshopState.live)
    checkin = next(a for a in workshop.activities if a.kind == "checkin")
    questions = [a for a in workshop.activities if a.kind == "cards"]
    board = next(a for a in workshop.activities if a.kind == "clustering")
    vote = next(a for a in workshop.activities if a.kind == "vote")
    recommendations = next(a for a in workshop.activities if a.kind == "recommendations")

    organisations = checkin.config["organisations"]
    roles = checkin.config["roles"]
    people = [
        Participant(
            workshop_id=workshop.id,
            token_hash=participation_services.hash_token(f"bench-{n}"),
            organisation=rng.choice(organisations),
            role=rng.choice(roles),
            checked_in_at=utcnow(),
        )
        for n in range(PEOPLE)
    ]
    db.session.add_all(people)
    db.session.commit()

    labelled = [line.split("\t") for line in LABELLED.read_text("utf-8").splitlines() if line and line[0] != "#"]
    made = []
    for number, (theme, text) in zip(range(cards), itertools.cycle(labelled), strict=False):
        question = questions[number % 2]
        columns = question.config.get("columns") or [""]
        suffix = f" ({number // len(labelled) + 1})" if number >= len(labelled) else ""
        card = Card(
            activity_id=question.id,
            participant_id=people[number % PEOPLE].id,
            client_id=f"bench-{number}",
            column=columns[number % len(columns)],
            text=text + suffix,
            status=CardStatus.visible,
        )
        made.append((theme, card))
    db.session.add_all([card for _theme, card in made])
    db.session.commit()
    for question in questions:
        activity_services.open_activity(owner, question)
        activity_services.close_activity(owner, question)

    for theme, label in THEMES.items():
        clustering_services.create_cluster(owner, board, label, card_ids=[c.id for t, c in made if t == theme])

    activity_services.open_activity(owner, vote)
    options = [o.id for o in voting_services.ensure_options(vote)]
    for number, person in enumerate(people):
        chosen = rng.sample(options, 3)
        voting_services.cast_votes(person, vote, client_id=f"vote-{number}", entries=[Entry(o) for o in chosen])
    activity_services.close_activity(owner, vote)

    activity_services.open_activity(owner, recommendations)
    clusters = clustering_services.clusters_of(board)
    for number, cluster in enumerate(clusters[:8]):
        item = recommendation_services.create_recommendation(
            owner,
            recommendations,
            cluster_ids=[cluster.id],
            text=f"Eine Arbeitsgruppe erarbeitet bis Ende 2026 ein Konzept zu „{cluster.label}“.",
            responsible=f"AG {number + 1}",
            involved="Jugendämter, Land",
            timeframe="2026",
            priority=("hoch", "mittel", "niedrig")[number % 3],
            status="agreed" if number % 2 else "draft",
        )
        db.session.add_all(
            ConsentVote(
                recommendation_id=item.id,
                participant_id=person.id,
                client_id=f"consent-{number}-{n}",
                fingers=rng.choice([1, 3, 4, 4, 5, 5]),
                dissent="Finanzierung ungeklärt" if n % 97 == 0 else "",
            )
            for n, person in enumerate(people)
        )
        db.session.commit()
    activity_services.close_activity(owner, recommendations)
    activity_services.change_workshop_state(owner, workshop, WorkshopState.ended)
    return workshop


def pages_of(data: bytes) -> int:
    try:
        from pypdf import PdfReader
    except ImportError:  # pypdf is a test dependency
        return 0
    return len(PdfReader(io.BytesIO(data)).pages)


def load() -> str:
    return " / ".join(f"{value:.1f}" for value in os.getloadavg())


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def child_start(runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of ``flask --app wsgi export-workshop --help`` in the download's environment."""
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "export-workshop", "--help"]
    times, cpu = [], []
    for _run in range(runs):
        started, used = time.perf_counter(), _children_cpu()
        subprocess.run(command, cwd=ROOT, env=services._child_environment(), capture_output=True, check=True)
        times.append(time.perf_counter() - started)
        cpu.append(_children_cpu() - used)
    return times, cpu


def child_exports(workshop, runs: int) -> list[tuple]:
    """Each format through ``export_in_child``, as the download route builds it."""
    rows = []
    for fmt in services.FORMATS:
        times, cpu = [], []
        for _run in range(runs):
            started, used = time.perf_counter(), _children_cpu()
            export = services.export_in_child(workshop, fmt)
            times.append(time.perf_counter() - started)
            cpu.append(_children_cpu() - used)
            export.file.close()
        rows.append((fmt, statistics.median(times), min(times), max(times), statistics.median(cpu)))
        print(f"{fmt} in a child process: {statistics.median(times):.2f} s", file=sys.stderr)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="folder to write one file per format into")
    parser.add_argument("--no-child", action="store_true", help="skip the downloads through a child process")
    options = parser.parse_args()
    print(f"Load average (1 / 5 / 15 min) at the start: {load()}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "bench",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3",
                "SOCKETIO_ASYNC_MODE": "threading",
                "SOCKETIO_MESSAGE_QUEUE": None,
            }
        )
        with app.app_context():
            db.create_all()
            started = time.perf_counter()
            workshop = build(options.cards)
            print(
                f"Built the workshop ({options.cards} cards, {PEOPLE} participants) in "
                f"{time.perf_counter() - started:.1f} s",
                file=sys.stderr,
            )
            rows = []
            for fmt in services.FORMATS:
                export = services.export_workshop(workshop, fmt)  # warm-up: imports, fonts, templates
                times, cpu = [], []
                for _run in range(options.runs):
                    started, used = time.perf_counter(), time.process_time()
                    export = services.export_workshop(workshop, fmt)
                    times.append(time.perf_counter() - started)
                    cpu.append(time.process_time() - used)
                if options.keep:
                    options.keep.mkdir(parents=True, exist_ok=True)
                    (options.keep / export.filename).write_bytes(export.data)
                extra = f", {pages_of(export.data)} pages" if fmt == "pdf" else ""
                rows.append(
                    (
                        fmt,
                        statistics.median(times),
                        min(times),
                        max(times),
                        statistics.median(cpu),
                        len(export.data),
                        extra,
                    )
                )
                print(f"{fmt}: {statistics.median(times):.2f} s", file=sys.stderr)
            started = time.perf_counter()
            services.import_workshop(None, services.export_workshop(workshop, "json").data)
            restore = time.perf_counter() - started
            load_in_process = load()
            if not options.no_child:
                start_times, start_cpu = child_start(options.runs)
                child_rows = child_exports(workshop, options.runs)
    print(f"| format | median of {options.runs} | fastest | slowest | CPU (median) | size |")
    print("| --- | --- | --- | --- | --- | --- |")
    for fmt, median, fastest, slowest, used, size, extra in rows:
        size_text = f"{size / 1024:,.0f} KB{extra}"
        print(f"| {fmt} | {median:.2f} s | {fastest:.2f} s | {slowest:.2f} s | {used:.2f} s | {size_text} |")
    print(f"\nRestoring the JSON archive (import-workshop): {restore:.2f} s")
    print(f"Load average (1 / 5 / 15 min) after the exports in this process: {load_in_process}")
    if options.no_child:
        return
    print(
        f"\nThe child's start alone (`export-workshop --help`): {statistics.median(start_times):.2f} s wall, "
        f"{statistics.median(start_cpu):.2f} s CPU (medians of {options.runs})\n"
    )
    print(f"| download through a child process | median of {options.runs} | fastest | slowest | CPU of the child |")
    print("| --- | --- | --- | --- | --- |")
    for fmt, median, fastest, slowest, used in child_rows:
        print(f"| {fmt} | {median:.2f} s | {fastest:.2f} s | {slowest:.2f} s | {used:.2f} s |")
    print(f"\nLoad average (1 / 5 / 15 min) at the end: {load()}")


if __name__ == "__main__":
    main()
