"""The charts' topic labels: long topics wrap onto more lines instead of being cut off (pure, no app)."""

import xml.etree.ElementTree as ET

import pytest

from facilitation.results import charts

SVG = "{http://www.w3.org/2000/svg}"
INKLUSION = "Inklusion – Hilfen aus einer Hand & spezifische Schutzbedürfnisse"
LONGEST = (
    "Beteiligung von Kindern und Jugendlichen an allen Verfahren des Kinderschutzes, "
    "in Schulen, Kitas und Einrichtungen"
)


def texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


def height(svg: str) -> float:
    return float(ET.fromstring(svg).get("height"))


def results(method: str, labels: list[str]) -> dict:
    options = []
    for index, label in enumerate(labels):
        option = {"label": label, "rank": index + 1, "total": 3 - index, "voters": 3 - index}
        option |= {"distribution": {"4": 2, "5": 1}, "mean": 4.3, "passes": True, "objections": 0}
        option |= {"x": 0.8, "y": 0.7} if method == "matrix" else {}
        options.append(option)
    return {"method": method, "options": options}


@pytest.mark.parametrize("method", ["dots", "single", "ranking", "scale", "fist", "matrix"])
@pytest.mark.parametrize("label", [INKLUSION, LONGEST])
def test_a_long_topic_is_shown_in_full(method, label):
    assert len(LONGEST) <= 120  # the longest a topic may be (voting.services.LABEL_MAX)
    svg = charts.chart(results(method, [label, "Kinderschutzkoordination"]))

    shown = texts(svg)
    assert not any("…" in text for text in shown)
    assert " ".join(label.split()) in " ".join(shown)


def test_rows_grow_for_topics_of_more_than_two_lines():
    short = charts.bar_chart(results("dots", ["Personal", "Kinderschutzkoordination"]))
    long = charts.bar_chart(results("dots", [LONGEST, "Kinderschutzkoordination"]))
    assert height(long) > height(short)


def test_a_topic_beyond_the_lines_allowed_is_cut_with_an_ellipsis():
    lines = charts.wrap("Wort " * 200, 700, 36, charts.LABEL_LINES)
    assert len(lines) == charts.LABEL_LINES
    assert lines[-1].endswith("…")
