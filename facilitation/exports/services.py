"""Downloads of a workshop: one exporter for the download buttons and the ``export-workshop`` command.

``build_export`` gathers the report once (``collect``) and hands it to the format's writer; the JSON
archive is the whole workshop instead (``archive``). ``import_workshop`` restores an archive as a new
workshop. Formats are a registry, not an ``if`` chain.

The download route does not build the file in the serving process: a PDF of a 2,000-card workshop
takes seconds of CPU, and under eventlet those seconds would freeze every phone of the forum.
``export_in_child`` runs the ``export-workshop`` command (the same ``build_export``) in a child
process that writes a temporary file, waits for it the way the server waits for any I/O (eventlet
patches ``subprocess``), and hands back the open file to stream.
"""

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO

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


def build_export(workshop: Workshop, fmt: str) -> Export:
    """The exporter: the workshop as a file in ``fmt`` (``pdf``, ``docx``, ``xlsx``, ``csv``, ``json``)."""
    chosen = FORMATS[fmt]
    return Export(chosen.build(workshop), filename(workshop, chosen), chosen.mimetype)


def record_export(workshop: Workshop, fmt: str, actor: Account | None, size: int) -> None:
    """Note the download in the audit log."""
    workshop_services.record_audit(
        actor, "workshop.exported", workshop=workshop, target=f"workshop:{workshop.id}", format=fmt
    )
    db.session.commit()
    logger.info("Workshop %r exported as %s (%d bytes) by %r", workshop, fmt, size, actor)


def export_workshop(workshop: Workshop, fmt: str, actor: Account | None = None) -> Export:
    """The workshop as a file in ``fmt``, built in this process; logged in the audit."""
    export = build_export(workshop, fmt)
    record_export(workshop, fmt, actor, len(export.data))
    return export


class ExportFailed(RuntimeError):
    """The child process that builds the file failed or took too long; the message holds its output."""


#: Exit status of ``export-workshop`` when the PDF font is missing (the route says so to the user).
FONT_MISSING_STATUS = 3
#: Files built at the same time per server process; further downloads wait their turn.
_CHILDREN = threading.BoundedSemaphore(2)
#: Settings the child takes from the server's configuration rather than from the environment.
_CHILD_SETTINGS = {"SQLALCHEMY_DATABASE_URI": "DATABASE_URL", "SECRET_KEY": "SECRET_KEY"}


@dataclass
class ExportFile:
    """A file built by a child process, open for reading; its directory entry is already gone."""

    file: BinaryIO
    size: int
    filename: str
    mimetype: str

    def chunks(self, size: int = 256 * 1024) -> Iterator[bytes]:
        """The file's bytes in pieces, closing it at the end (a streamed response's body)."""
        with self.file:
            while chunk := self.file.read(size):
                yield chunk


def _child_environment() -> dict[str, str]:
    config = current_app.config
    env = {k: v for k, v in os.environ.items() if k not in ("FLASK_APP", "FLASK_RUN_FROM_CLI")}
    for setting, variable in _CHILD_SETTINGS.items():
        env[variable] = str(config[setting])
    # The child serves nobody and publishes nothing: no eventlet, no message queue.
    env["FACILITATION_ASYNC_MODE"] = "threading"
    env.pop("FACILITATION_MESSAGE_QUEUE", None)
    if config.get("EXPORT_FONT_DIR"):
        env["FACILITATION_FONT_DIR"] = str(config["EXPORT_FONT_DIR"])
    return env


def export_in_child(workshop: Workshop, fmt: str, actor: Account | None = None) -> ExportFile:
    """The workshop as a file in ``fmt``, built by ``flask export-workshop`` in a child process.

    Raises :class:`pdf.FontMissing` without the PDF font and :class:`ExportFailed` for anything else.
    """
    chosen = FORMATS[fmt]
    name = filename(workshop, chosen)
    workshop_id = workshop.id
    # No transaction stays open while the child works (and SQLite readers never block it).
    db.session.commit()
    folder = Path(tempfile.mkdtemp(prefix="facilitation-export-"))
    try:
        path = folder / name
        command = [sys.executable, "-m", "flask", "--app", "wsgi", "export-workshop", "--id", str(workshop_id)]
        command += ["--format", fmt, "--output", str(path), "--no-audit"]
        with _CHILDREN:
            try:
                result = subprocess.run(
                    command,
                    cwd=pdf.ROOT,
                    env=_child_environment(),
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=current_app.config.get("EXPORT_TIMEOUT", 600),
                )
            except subprocess.TimeoutExpired as error:
                raise ExportFailed(f"export-workshop took longer than {error.timeout} s") from error
        output = result.stderr.decode(errors="replace").strip()
        if result.returncode == FONT_MISSING_STATUS:
            raise pdf.FontMissing(output)
        if result.returncode != 0 or not path.is_file():
            raise ExportFailed(f"export-workshop exited with {result.returncode}: {output[-2000:]}")
        handle = path.open("rb")
        size = path.stat().st_size
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # an open file stays readable until it is closed
    record_export(db.session.get(Workshop, workshop_id), fmt, actor, size)
    return ExportFile(handle, size, name, chosen.mimetype)


def import_workshop(actor: Account | None, raw: bytes) -> Workshop:
    """Restore a JSON archive as a new workshop owned by ``actor``; raises ``archive.ArchiveError``."""
    return archive.import_archive(actor, archive.loads(raw))
