"""Tests for the personal-data detector on participant cards."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from facilitation.participation.pii import (
    KINDS,
    PersonalDataHint,
    find_personal_data,
)


def hints(text: str) -> list[tuple[str, str]]:
    return [(hint.kind, hint.match) for hint in find_personal_data(text)]


POSITIVES = [
    # e-mail
    (
        "Bitte an anna.mueller@jugendamt-rostock.de schreiben",
        "email",
        "anna.mueller@jugendamt-rostock.de",
    ),
    ("Kontakt: k.schulz+forum@web.de.", "email", "k.schulz+forum@web.de"),
    (
        "Rückfragen an info(at)kita-sonnenschein.de",
        "email",
        "info(at)kita-sonnenschein.de",
    ),
    ("Mail: m.yilmaz [at] example.org", "email", "m.yilmaz [at] example.org"),
    # phone
    ("Erreichbar unter +49 171 1234567", "phone", "+49 171 1234567"),
    ("Handynummer 0171/1234567 für Rückfragen", "phone", "0171/1234567"),
    ("Büro: 0381 123 45 67", "phone", "0381 123 45 67"),
    ("Fax 0381-12345", "phone", "0381-12345"),
    ("Tel. (0381) 4567890", "phone", "(0381) 4567890"),
    ("Ruf an: +49 (0) 381 123456", "phone", "+49 (0) 381 123456"),
    ("Tel.: 123456 (Sekretariat)", "phone", "123456"),
    ("0049 3834 86-0 ist die Zentrale", "phone", "0049 3834 86-0"),
    # date of birth
    ("Lena, geb. 12.03.2015, braucht Hilfe", "birthdate", "geb. 12.03.2015"),
    ("Kind 12.3.15 in Obhut genommen", "birthdate", "12.3.15"),
    ("Junge geb. 2015 aus der Südstadt", "birthdate", "geb. 2015"),
    ("Mädchen geboren am 3. Mai 2016", "birthdate", "geboren am 3. Mai 2016"),
    ("Geburtsdatum: 01.02.2014", "birthdate", "Geburtsdatum: 01.02.2014"),
    ("Sohn geboren im März 2016", "birthdate", "geboren im März 2016"),
    ("Jg. 2014, lebt bei der Oma", "birthdate", "Jg. 2014"),
    ("Meldung zum Kind 05.11.2019 prüfen", "birthdate", "05.11.2019"),
    # street address
    ("Familie wohnt Lange Straße 12", "address", "Lange Straße 12"),
    ("Treffen in der Goethestraße 5a", "address", "Goethestraße 5a"),
    ("Wohnung Karl-Marx-Str. 3", "address", "Karl-Marx-Str. 3"),
    ("Hinterhaus Lindenweg 4-6", "address", "Lindenweg 4-6"),
    ("Neuer Markt Platz 2", "address", "Neuer Markt Platz 2"),
    ("Beobachtet in der Holbeinplatz 14", "address", "Holbeinplatz 14"),
    ("Die Familie lebt in 18055 Rostock", "address", "18055 Rostock"),
    ("Umzug nach 17489 Greifswald", "address", "17489 Greifswald"),
    ("Wohnort 18311 Ribnitz-Damgarten", "address", "18311 Ribnitz-Damgarten"),
    # names after a salutation or title
    ("Frau Müller vom ASD fragen", "name", "Frau Müller"),
    ("Herr Dr. Schmidt hat zugesagt", "name", "Herr Dr. Schmidt"),
    ("Fr. Meier meldet sich", "name", "Fr. Meier"),
    ("Hr. Krause übernimmt", "name", "Hr. Krause"),
    ("Familie Schulz braucht Unterstützung", "name", "Familie Schulz"),
    ("Laut Prof. Dr. Beck fehlt Personal", "name", "Prof. Dr. Beck"),
    ("Die Leitung Frau Dr. Kramer-Lenz informieren", "name", "Frau Dr. Kramer-Lenz"),
    ("Gespräch mit Frau von der Leyen", "name", "Frau von der Leyen"),
    ("Frau Anna Müller einladen", "name", "Frau Anna Müller"),
    # first name + surname
    ("Lena Schulz kommt nicht mehr zur Schule", "name", "Lena Schulz"),
    ("Mit Kevin Hoffmann reden", "name", "Kevin Hoffmann"),
    ("Mehmet Yılmaz als Dolmetscher", "name", "Mehmet Yılmaz"),
    ("Fatima Al-Hassan unterstützt", "name", "Fatima Al-Hassan"),
    ("Olga Petrowa und ihre Tochter", "name", "Olga Petrowa"),
    ("Anna-Lena Meyer-Wolf aus der 3b", "name", "Anna-Lena Meyer-Wolf"),
]


@pytest.mark.parametrize(("text", "kind", "match"), POSITIVES)
def test_finds_personal_data(text: str, kind: str, match: str) -> None:
    assert (kind, match) in hints(text)


@pytest.mark.parametrize(
    "text",
    [
        "Mehr Personal im ASD",
        "Krisenmanagement präventiv & reaktiv",
        "Schutzkonzepte in Kitas 2025–2030",
        "Schutzkonzepte 2025-2030 umsetzen",
        "§ 8a Vereinbarung überarbeiten",
        "Kinderschutzfachkraft nach § 8b SGB VIII Abs. 4",
        "44 von 40 Beratungstagen",
        "Kooperation mit der Polizei in Rostock verbessern",
        "Fallberatung jeden 2. Dienstag",
        "Fachtag am 2. Oktober 2025",
        "Die Fachkräfte brauchen 30% mehr Zeit",
        "Jugendamt Rostock",
        "Landkreis Vorpommern-Greifswald",
        "Hilfe für Frau und Familie",
        "Frauen und Männer gleich beteiligen",
        "Herr der Lage bleiben",
        "Familie Schule Jugendhilfe vernetzen",
        "Vereinbarkeit Familie Beruf",
        "Frau Bürgermeisterin fragen",
        "Herr Jugendamt",
        "Frau Fachkraft",
        "Mo.–Fr. Beratung ausbauen",
        "Fr. Nachmittag Supervision",
        "Anna-Freud-Schule einbinden",
        "Anna Freud Schule einbinden",
        "Max Planck Institut anfragen",
        "Max. 20 Teilnehmende pro Workshop",
        "Jan. 2025 Auswertung",
        "Kevin Jugendamt",
        "Lena Beratung",
        "10000 Euro für Prävention",
        "12000 Kinder in MV",
        "Auf Platz 1 steht Prävention",
        "Spielplatz 3 sanieren",
        "Kita-Platz 3 pro Kind",
        "Stufe 2 des Schutzkonzepts",
        "0-6-Jährige stärker in den Blick",
        "0,5 VZÄ mehr für die Kinderschutzfachkraft",
        "ISEF-Beratung 24/7",
        "Jahrgang 5 und 6 einbeziehen",
        "Im Jahr 2024 gab es 1234 Meldungen",
        "Statistik 2023: 12345 Fälle",
        "Hilfetelefon 08000 116 016 bekannter machen",
        "Nummer gegen Kummer 116 111 plakatieren",
        "Telefonseelsorge 0800 1110111",
        "Netzwerk Frühe Hilfen ausbauen",
        "Kita Sonnenschein stärken",
        "ASD Rostock-Evershagen",
        "Sprechzeit Mo–Fr 9–12 Uhr",
        "",
    ],
)
def test_ignores_ordinary_cards(text: str) -> None:
    assert find_personal_data(text) == []


def test_hints_are_ordered_by_position() -> None:
    text = "Lena (geb. 12.03.2015), Lange Str. 12, 18055 Rostock, Tel. 0381 123456, a@b.de"
    assert hints(text) == [
        ("birthdate", "geb. 12.03.2015"),
        ("address", "Lange Str. 12"),
        ("address", "18055 Rostock"),
        ("phone", "0381 123456"),
        ("email", "a@b.de"),
    ]


def test_repeated_matches_are_reported_once() -> None:
    assert hints("Frau Schmidt sagt, Frau Schmidt kommt") == [("name", "Frau Schmidt")]


def test_hint_is_a_frozen_value() -> None:
    hint = find_personal_data("Frau Müller")[0]
    assert hint == PersonalDataHint(kind="name", match="Frau Müller")
    with pytest.raises(AttributeError):
        hint.kind = "email"  # type: ignore[misc]


# Arbitrary text, and text stitched from pieces that trigger the patterns.
CARD_PIECES = st.sampled_from(
    [
        "Frau",
        "Herr",
        "Dr.",
        "Fr.",
        "Anna",
        "Müller",
        "geb.",
        "12.03.2015",
        "Mai",
        "2015",
        "Lange",
        "Straße",
        "12",
        "18055",
        "Rostock",
        "+49",
        "0381",
        "/",
        "-",
        "(0)",
        "@",
        "(at)",
        "web.de",
        "§",
        "8a",
        "30%",
        ",",
        ".",
        "–",
        "\n",
    ]
)
CARD_TEXT = st.one_of(
    st.text(max_size=400),
    st.lists(CARD_PIECES, max_size=40).map(" ".join),
    st.lists(CARD_PIECES, max_size=40).map("".join),
)


@given(CARD_TEXT)
def test_never_raises_and_matches_come_from_the_text(text: str) -> None:
    for hint in find_personal_data(text):
        assert hint.kind in KINDS
        assert hint.match
        assert hint.match in text
