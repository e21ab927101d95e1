"""German is the source language; every string a user can meet also has its English translation."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "facilitation" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def message_ids(path: Path) -> dict[str, object]:
    with path.open("rb") as file:
        catalog = read_po(file)
    return {(m.id if isinstance(m.id, str) else m.id[0]): m for m in catalog if m.id}


def test_every_string_in_the_code_is_in_the_english_catalog(tmp_path):
    """Fails when a new string was added without `make translations`."""
    extracted = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l", "-k",
         "lazy_gettext", "--no-location", "-o", str(extracted), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    in_code = message_ids(extracted)
    assert len(in_code) > 500, "extraction found (almost) nothing: check babel.cfg"
    missing = sorted(set(in_code) - set(message_ids(CATALOG)))
    assert not missing, f"run `make translations` and translate: {missing}"


def test_every_english_message_is_translated():
    untranslated = [
        message_id
        for message_id, message in message_ids(CATALOG).items()
        if not (message.string if isinstance(message.string, str) else all(message.string)) or message.fuzzy
    ]
    assert not untranslated, f"fill in the English msgstr of: {untranslated}"
