"""Downloads of a workshop: one exporter for the download buttons and the ``export-workshop`` command.

``export_workshop`` gathers the report once (``collect``) and hands it to the format's writer; the JSON
archive is the whole workshop instead (``archive``). ``import_workshop`` restores an archive as a new
workshop. Formats are a registry, not an ``if`` chain.
"""

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask import current_app

from facilitation.accounts.models import Account
from facilitation.exports import archive, collect, csv, docx, pdf, xlsx
from facilitation.exports.tables import slug
from facilitation.extensions import db
from facilitation.workshops import services as workshop_services
from facilitation.workshops.models import Workshop

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Format:
    name: str
    extension: str
    mimetype: str
    #: First word of the file name.
    stem: str
    #: Turns the workshop into the file's bytes.
    build: Callable[[Workshop], bytes]


def _report(writer) -> Callable[[Workshop], bytes]:
    return lambda workshop: writer(collect.collect(workshop))


def _pdf(workshop: Workshop) -> bytes:
    fonts = current_app.config.get("EXPORT_FONT_DIR") or os.environ.get("FACILITATION_FONT_DIR")
    return pdf.write(collect.collect(workshop), fonts)


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("pdf", "pdf", "application/pdf", "dokumentation", _pdf),
        Format(
            "docx",
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "dokumentation",
            _report(docx.write),
        ),
        Format(
            "xlsx",
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "daten",
            _report(xlsx.write),
        ),
        Format("csv", "zip", "application/zip", "tabellen", _report(csv.write)),
        Format("json", "json", "application/json", "archiv", lambda w: archive.dumps(archive.export_archive(w))),
    )
}


@dataclass(frozen=True)
class Export:
    data: bytes
    filename: str
    mimetype: str


def filename(workshop: Workshop, fmt: Format) -> str:
    """``dokumentation-zukunftsforum-2025-10-02.pdf``: ASCII only, safe in any header and file system."""
    day = (workshop.starts_on or date.today()).isoformat()
    return f"{fmt.stem}-{slug(workshop.title)}-{day}.{fmt.extension}"


def export_workshop(workshop: Workshop, fmt: str, actor: Account | None = None) -> Export:
    """The workshop as a file in ``fmt`` (``pdf``, ``docx``, ``xlsx``, ``csv``, ``json``); logged in the audit."""
    chosen = FORMATS[fmt]
    data = chosen.build(workshop)
    workshop_services.record_audit(
        actor, "workshop.exported", workshop=workshop, target=f"workshop:{workshop.id}", format=fmt
    )
    db.session.commit()
    logger.info("Workshop %r exported as %s (%d bytes) by %r", workshop, fmt, len(data), actor)
    return Export(data, filename(workshop, chosen), chosen.mimetype)


def import_workshop(actor: Account | None, raw: bytes) -> Workshop:
    """Restore a JSON archive as a new workshop owned by ``actor``; raises ``archive.ArchiveError``."""
    return archive.import_archive(actor, archive.loads(raw))
