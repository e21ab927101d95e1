"""Spot personal data in short German participant cards.

Cards are short free texts (at most 280 characters) written during a workshop.
When a card looks like it names a person or contains contact details, the
moderator is warned before it goes up on the wall. A false warning annoys
moderators and teaches them to ignore the hint, so every rule here prefers
precision over recall: it only fires on shapes that are hard to mistake for
the vocabulary of child-protection work ("Jugendamt Rostock", "§ 8a",
"Kitas 2025–2030", "44 von 40 Beratungstagen").

Standard library only, no Flask and no database, so the detector can run in a
service, a socket handler or a test alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

KINDS = ("email", "phone", "birthdate", "address", "name")


@dataclass(frozen=True)
class PersonalDataHint:
    """One piece of text that looks like personal data."""

    kind: str  # one of KINDS
    match: str  # the matched text, verbatim from the card


# (start, end) of a match, as returned by re.Match.span().
Span = tuple[int, int]

# Letters as they occur in names of people living in Germany: German umlauts,
# Latin-1 accents and the Turkish, Polish and Czech letters of Latin Extended-A.
_UPPER = "A-ZÀ-ÖØ-ÞĆČĎĐĘĚĞİŁŃŇŒŘŚŞŠŢŤŮŰŹŻŽ"
_LOWER = "a-zß-öø-ÿąćčďđęěğıłńňœřśşšţťůűźżž"
# A capitalised word, possibly double-barrelled ("Müller-Lüdenscheidt").
_CAPWORD = rf"[{_UPPER}][{_LOWER}]+(?:-[{_UPPER}][{_LOWER}]+)*"


def _words(text: str) -> frozenset[str]:
    """Turn a whitespace-separated word list into a set; easier to read and edit."""
    return frozenset(text.split())


# Common nouns (lower case) that may follow a salutation, a first name or a
# postcode without being a surname or a town: roles, institutions, units and
# the usual capitalised function words at the start of a sentence.
_COMMON_NOUNS = _words(
    """
    familie familien kind kinder eltern mutter vater sohn tochter oma opa
    geschwister jugendliche jugendlichen mensch menschen person personen
    frau frauen herr herren mann männer
    jugendamt jugendämter jugendhilfe kinderschutz kinderschutzbund schutz
    fachkraft fachkräfte leitung team teams personal stelle stellen
    schule schulen kita kitas hort kindergarten polizei justiz gericht
    familiengericht beratung hilfe hilfen haus zentrum amt behörde
    landkreis kreis stadt gemeinde land bund verwaltung träger einrichtung
    einrichtungen dienst dienste verein verband stiftung institut klinik
    krankenhaus praxis netzwerk netzwerke projekt konzept ziel ziele idee
    ideen frage fragen thema themen prävention intervention austausch
    fortbildung supervision qualität arbeit beruf freizeit zeit zukunft
    gesundheit gewalt sport pflege politik gesellschaft wirtschaft
    kollegin kollege kollegen kolleginnen nachbar nachbarin
    vorsitzende vorsitzender präsidentin präsident ministerin minister
    bürgermeisterin bürgermeister landrat landrätin senatorin senator
    direktorin direktor professorin professor doktor rektorin rektor
    lehrerin lehrer richterin richter pfarrerin pfarrer pastorin pastor
    kommissarin kommissar ärztin arzt ärzte hebamme hebammen
    erzieherin erzieher sozialarbeiterin sozialarbeiter
    euro eur cent prozent stunden stunde tage tag wochen woche monate monat
    jahre jahr fälle fall meldungen plätze einwohner mitarbeitende
    mitarbeiter mitarbeiterin mitarbeiterinnen teilnehmende
    vormittag nachmittag abend morgen mittag montag dienstag mittwoch
    donnerstag freitag samstag sonntag januar februar märz april mai juni
    juli august september oktober november dezember
    und oder aber der die das den dem des ein eine einen einem einer mit
    von vom zum zur im in am an auf für bei aus nach über unter vor ab bis
    ohne gegen durch um als auch noch nur schon so ist sind hat haben wird
    werden kann können soll sollen muss müssen wir ich sie er es ihr uns
    ja nein bitte danke alle mehr wie was wer wo warum wann hier dort heute
    jetzt kein keine unser unsere jeder jede dieser diese erster erste
    zweiter zweite letzter letzte nächster nächste himmelfahrt
    """
)

# Endings of German abstract nouns and of institution words. Surnames and
# towns almost never end like this; the price is missing a few surnames such
# as "Hartung".
_NOUN_ENDINGS = (
    "ung",
    "ungen",
    "heit",
    "heiten",
    "keit",
    "keiten",
    "schaft",
    "schaften",
    "tion",
    "tionen",
    "ität",
    "itäten",
    "ismus",
    "nisse",
    "amt",
    "ämter",
    "stelle",
    "stellen",
    "hilfe",
    "hilfen",
    "schule",
    "schulen",
    "arbeit",
    "kraft",
    "kräfte",
    "zeit",
    "zeiten",
    "kinder",
    "eltern",
    "familie",
    "familien",
    "leiterin",
    "beauftragte",
    "beauftragter",
    "referentin",
    "zentrum",
    "zentren",
    "dienst",
    "dienste",
    "gruppe",
    "gruppen",
    "konzept",
    "konzepte",
    "netzwerk",
    "projekt",
    "verband",
    "verein",
    "gericht",
    "behörde",
)


def _is_common_noun(word: str) -> bool:
    """Tell whether a capitalised word is more likely a noun than a name."""
    # For "Müller-Lüdenscheidt" or "Anna Freud-Schule" the last part decides.
    last = word.rsplit("-", 1)[-1].lower()
    if last in _COMMON_NOUNS:
        return True
    # Short words such as "Jung" are surnames far more often than nouns.
    return len(last) > 5 and last.endswith(_NOUN_ENDINGS)


# --- e-mail ---------------------------------------------------------------

# Also the spam-shy spellings "anna(at)example.de" and "anna [at] example.de".
_EMAIL = re.compile(
    r"""
    (?<![\w.+-])
    [\w.+-]+
    (?:@|\s?[(\[]\s?at\s?[)\]]\s?)
    [\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}
    (?![\w-])
    """,
    re.VERBOSE,
)


def _find_emails(text: str) -> Iterator[Span]:
    for m in _EMAIL.finditer(text):
        yield m.span()


# --- phone ----------------------------------------------------------------

# A number counts as a phone number only if it is dialled like one: with an
# international prefix, a bracketed area code or the German trunk prefix 0.
# That keeps out years ("2025–2030"), counts ("44 von 40"), postcodes and
# paragraphs ("§ 8a"). Groups may be split by a space, "/" or "-", but not by
# a dot (dates) or an en dash (ranges).
_PHONE = re.compile(
    r"""
    (?<![\w.,+/(-])
    (?:
        (?:\+|00)[1-9]\d{0,2}\s?(?:\(0\)\s?)?   # +49 171 …, 0049 …, +49 (0) 381 …
      | \(0\d{2,5}\)\s?                         # (0381) 123456
      | 0(?=\d)                                 # 0381 …, 0171/…
    )
    \d(?:[ /-]?\d)+
    (?![\w%]|[.,]\d)
    """,
    re.VERBOSE,
)

# After an explicit label the leading 0 may be missing ("Tel. 123456").
_LABELLED_PHONE = re.compile(
    r"""
    (?<!\w)
    (?i:tel(?:efon)?(?:\.?-?nr)?|telefonnummer|rufnummer|handy|mobil|fax)
    \.?\s*:?\s*
    (?P<number>\+?\d(?:[ /-]?\d)+)
    (?![\w%]|[.,]\d)
    """,
    re.VERBOSE,
)

# Free service and hotline numbers (e.g. "Hilfetelefon 08000 116 016",
# "Nummer gegen Kummer 116 111") are published on purpose; they are not
# personal data and often appear on child-protection cards.
_SERVICE_PREFIXES = ("0800", "0180", "116")


def _is_phone_number(number: str) -> bool:
    digits = re.sub(r"\D", "", number.replace("(0)", ""))
    if number.startswith("+49"):
        digits = "0" + digits[2:]
    elif number.startswith("0049"):
        digits = "0" + digits[4:]
    # Fewer than six digits is a count or an extension; more than fifteen
    # (the E.164 maximum) is some other identifier.
    return 6 <= len(digits) <= 15 and not digits.startswith(_SERVICE_PREFIXES)


def _find_phones(text: str) -> Iterator[Span]:
    for m in _PHONE.finditer(text):
        if _is_phone_number(m.group()):
            yield m.span()
    for m in _LABELLED_PHONE.finditer(text):
        if _is_phone_number(m.group("number")):
            yield m.span("number")


# --- date of birth --------------------------------------------------------

# d.m.yy or dd.mm.yyyy with a plausible day, month and (19|20)yy year. Such a
# date on a card is flagged even without "geb.", because a child's date of
# birth is the most sensitive thing a card could leak; written dates
# ("2. Oktober 2025") are ordinary meeting dates and need a birth cue.
_NUMERIC_DATE = r"(?:0?[1-9]|[12]\d|3[01])\.\s?(?:0?[1-9]|1[0-2])\.\s?(?:(?:19|20)\d{2}|\d{2})"
_MONTH = (
    r"(?:Januar|Jänner|Jan\.|Februar|Feb\.|März|Maerz|Mär\.|April|Apr\.|Mai|"
    r"Juni|Jun\.|Juli|Jul\.|August|Aug\.|September|Sept?\.|Oktober|Okt\.|"
    r"November|Nov\.|Dezember|Dez\.)"
)

_DATE = re.compile(rf"(?<![\d.]){_NUMERIC_DATE}(?!\d|\.\d)")

# "geb. 2015", "geboren am 3. Mai 2016", "Geburtsdatum: 12.03.2015",
# "geb. im März 2016", "Jahrgang 2015".
_BIRTH = re.compile(
    rf"""
    (?<!\w)
    (?i:geb\.|geboren|geburtsdatum|geburtstag|geburtsjahr|jahrgang|jg\.)
    :?\s*
    (?:(?:am|im|in|ca\.|etwa)\s+)?
    (?:
        {_NUMERIC_DATE}
      | (?:0?[1-9]|[12]\d|3[01])\.\s?(?:0?[1-9]|1[0-2])\.        # 12.03.
      | (?:0?[1-9]|[12]\d|3[01])\.?\s*{_MONTH}(?:\s+(?:19|20)\d{{2}})?
      | {_MONTH}\s+(?:19|20)\d{{2}}
      | (?:19|20)\d{{2}}
    )
    (?!\d|\.\d)
    """,
    re.VERBOSE,
)


def _find_birthdates(text: str) -> Iterator[Span]:
    for m in _DATE.finditer(text):
        yield m.span()
    for m in _BIRTH.finditer(text):
        yield m.span()


# --- street address -------------------------------------------------------

_STREET_WORD = r"(?:Straße|Strasse|Str\.|Weg|Allee|Platz|Ring|Gasse|Damm|Chaussee)"
_STREET_SUFFIX = r"(?:straße|strasse|str\.|weg|allee|platz|ring|gasse|damm|chaussee)"
# "12", "12a", "12 a", "12-14", "12/1"; not "12%" or "12,5".
_HOUSE_NUMBER = r"\d{1,3}(?:\s?[a-zA-Z](?!\w))?(?:\s?[-–/]\s?\d{1,3}[a-z]?)?(?![\d%]|[.,]\d)"
# Before a separate street word ("Lange Straße 12") the first word must not be
# a function word or common noun, or "Auf Platz 1", "Der Weg 2" and
# "Kita Platz 3" would look like streets. (So "Am Markt 3" is missed.)
_NOT_STREET_START = "|".join(sorted((re.escape(w.capitalize()) for w in _COMMON_NOUNS), key=len, reverse=True))

_STREET = re.compile(
    rf"""
    (?<![\w.-])
    (?P<street>
        # Karl-Marx-Straße, Rosa-Luxemburg-Str.
        [{_UPPER}][{_LOWER}]*-(?:\w+-)*(?:{_STREET_WORD}|[{_LOWER}]*{_STREET_SUFFIX})
        # Goethestraße, Lindenweg, Holbeinplatz
      | [{_UPPER}][{_LOWER}]+{_STREET_SUFFIX}
        # Lange Straße, Alte Rostocker Str.
      | (?!(?:{_NOT_STREET_START})\s){_CAPWORD}\s(?:{_CAPWORD}\s)?{_STREET_WORD}
    )
    \s?{_HOUSE_NUMBER}
    """,
    re.VERBOSE,
)

# Compounds with a street ending that are ordinary nouns ("Spielplatz 3").
_NOT_STREETS = _words(
    """
    arbeitsplatz spielplatz parkplatz kitaplatz krippenplatz betreuungsplatz
    ausbildungsplatz studienplatz praktikumsplatz sitzplatz stellplatz
    therapieplatz heimplatz wohnplatz schulweg dienstweg rechtsweg ausweg
    lösungsweg meldeweg kommunikationsweg informationsweg arbeitsweg
    bildungsweg lebensweg heimweg rückweg umweg mittelweg sackgasse
    """
)

# "18055 Rostock", "D-01099 Dresden", "17489 Greifswald". German postcodes
# never start with 00.
_POSTCODE = re.compile(
    rf"(?<![\d.,])(?!00)\d{{5}}\s+(?P<town>{_CAPWORD})(?![\w])",
)


def _find_addresses(text: str) -> Iterator[Span]:
    for m in _STREET.finditer(text):
        street = m.group("street")
        # "Kita-Platz 3", "Kinderschutz-Ring 2" are not streets.
        first_part = re.split(r"[-\s]", street, maxsplit=1)[0]
        if street.lower() in _NOT_STREETS or _is_common_noun(first_part):
            continue
        yield m.span()
    for m in _POSTCODE.finditer(text):
        # "10000 Euro", "12000 Kinder" are amounts, not places.
        if not _is_common_noun(m.group("town")):
            yield m.span()


# --- names ----------------------------------------------------------------

_SALUTATION = r"(?:Frau|Herrn?|Fr\.|Hrn?\.|Familie|Fam\.)"
_TITLE = r"(?:Prof\.|Dr\.(?:\s?(?:med|phil|jur|rer\.\s?nat)\.)?|Dipl\.-[A-ZÄÖÜ][a-zäöüß]*\.?)"
# Nobiliary particles: "Frau von der Leyen", "Herr van Dijk".
_PARTICLE = r"(?:(?:von|van|de|zu)\s+(?:der\s+|den\s+|dem\s+)?)"

# A salutation and/or academic title followed by a surname:
# "Frau Müller", "Herr Dr. Schmidt", "Fr. Meier", "Familie Schulz", "Prof. Dr. Beck".
_SALUTED_NAME = re.compile(
    rf"""
    (?<![\w.-])
    (?:{_SALUTATION}(?:\s+{_TITLE})*|{_TITLE}(?:\s+{_TITLE})*)
    \s+
    {_PARTICLE}?
    (?P<surname>{_CAPWORD})
    (?![\w])
    """,
    re.VERBOSE,
)

# Common first names in Germany, including Turkish, Arabic, Polish, Russian
# and Ukrainian ones. Names that double as ordinary words ("Ernst", "August",
# "Mark", "Heide", "Can") are left out on purpose.
_FIRST_NAMES = _words(
    # boys and men
    "Alexander Andreas Anton Ben Benjamin Bernd Carsten Christian Daniel David "
    "Dennis Dieter Dirk Elias Emil Enrico Erik Felix Finn Florian Frank Günter "
    "Hans Heinz Henry Holger Jan Jens Jonas Jörg Julian Jürgen Kai Karl Karsten "
    "Kevin Klaus Lars Leon Luca Lukas Maik Manfred Marcel Markus Martin Matthias "
    "Max Maximilian Michael Mike Moritz Niklas Noah Olaf Oskar Patrick Paul Peter "
    "Philipp Rainer Ralf René Ronny Sebastian Simon Stefan Steffen Sven Theo "
    "Thomas Thorsten Tim Tobias Tom Torsten Uwe Wolfgang "
    # girls and women
    "Andrea Anja Anna Birgit Christa Christina Clara Claudia Daniela Doreen Elke "
    "Ella Emma Eva Gabriele Hanna Hannah Heike Helga Ingrid Jana Jennifer Jessica "
    "Johanna Julia Karin Katharina Katrin Kerstin Klara Laura Lea Lena Leonie "
    "Lina Lisa Mandy Manuela Maria Marie Martina Melanie Mia Monika Nicole Nina "
    "Paula Peggy Petra Renate Sabine Sandra Sara Sarah Silke Sofia Sophia Sophie "
    "Stefanie Stephanie Susanne Tanja Ursula Ute Vanessa "
    # Turkish and Arabic
    "Ahmad Ahmed Ahmet Aisha Ali Amina Amir Ayse Ayşe Burak Cem Deniz Elif Emine "
    "Emre Esra Fatima Fatma Hasan Hassan Hüseyin Ibrahim Karim Khaled Layla Leyla "
    "Mariam Maryam Mehmet Merve Mohamed Mohammed Muhammad Murat Mustafa Noor Nour "
    "Omar Samira Yasmin Youssef Yusuf Zeynep "
    # Polish, Russian, Ukrainian
    "Agnieszka Alexej Anastasia Andrij Dmitri Elena Igor Irina Iwan Ivan Jelena "
    "Joanna Juri Katarzyna Krzysztof Ludmila Magdalena Marta Małgorzata Natalia "
    "Natalja Oksana Oleksandr Olena Olga Pawel Paweł Piotr Sergej Svetlana "
    "Swetlana Tatjana Tomasz Viktor Wladimir"
)

# "Lena Schulz", "Anna-Lena Meyer-Wolf", "Mehmet Yılmaz".
_FIRST_LAST_NAME = re.compile(
    rf"""
    (?<![\w-])
    (?:{"|".join(sorted(_FIRST_NAMES))})(?:-[{_UPPER}][{_LOWER}]+)?
    \s+
    {_PARTICLE}?
    (?P<surname>{_CAPWORD})
    (?![\w])
    """,
    re.VERBOSE,
)

# "Anna Freud Schule", "Max Planck Institut", "Rosa Luxemburg Straße": a
# person's name used as the name of an institution or street.
_INSTITUTION_AFTER = re.compile(
    rf"""
    [\s-]+
    (?:Schule|Grundschule|Oberschule|Gesamtschule|Gymnasium|Kita|Kindergarten|
       Hort|Haus|Heim|Zentrum|Institut|Stiftung|Klinik|Krankenhaus|Kinderdorf|
       Verein|Werk|Universität|Hochschule|Preis|Park|{_STREET_WORD})
    (?![\w])
    """,
    re.VERBOSE,
)


def _find_names(text: str) -> Iterator[Span]:
    for m in _SALUTED_NAME.finditer(text):
        if not _is_common_noun(m.group("surname")):
            yield m.span()
    for m in _FIRST_LAST_NAME.finditer(text):
        if _is_common_noun(m.group("surname")):
            continue
        if _INSTITUTION_AFTER.match(text, m.end()):
            continue
        yield m.span()


# --- putting it together --------------------------------------------------

_FINDERS: tuple[tuple[str, Callable[[str], Iterator[Span]]], ...] = (
    ("email", _find_emails),
    ("phone", _find_phones),
    ("birthdate", _find_birthdates),
    ("address", _find_addresses),
    ("name", _find_names),
)


def _merge_overlaps(spans: list[Span]) -> list[Span]:
    """Join overlapping spans, so "Frau Anna" + "Anna Müller" is one name."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def find_personal_data(text: str) -> list[PersonalDataHint]:
    """Return the pieces of ``text`` that look like personal data.

    Hints are ordered by their position in the text; overlapping matches of
    the same kind are joined, and a repeated (kind, match) is reported once.
    """
    found: list[tuple[int, int, str]] = []
    for kind, finder in _FINDERS:
        for start, end in _merge_overlaps(list(finder(text))):
            found.append((start, end, kind))
    found.sort(key=lambda item: (item[0], KINDS.index(item[2])))

    hints: list[PersonalDataHint] = []
    seen: set[PersonalDataHint] = set()
    for start, end, kind in found:
        hint = PersonalDataHint(kind=kind, match=text[start:end])
        if hint not in seen:
            seen.add(hint)
            hints.append(hint)
    return hints
