"""The results page of a workshop, its downloads, and importing a workshop archive."""

import base64
import logging

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from facilitation.exports import services
from facilitation.exports.archive import ArchiveError
from facilitation.exports.collect import collect
from facilitation.exports.forms import ArchiveForm
from facilitation.exports.pdf import FontMissing
from facilitation.exports.tables import format_cell
from facilitation.workshops import services as workshop_services
from facilitation.workshops.access import workshop_role
from facilitation.workshops.models import Role

bp = Blueprint("exports", __name__)
logger = logging.getLogger(__name__)

#: The whole archive (every card, every ballot) is the owners' to take elsewhere.
ARCHIVE_ROLE = Role.owner
#: Largest archive accepted (a 2,000-card workshop's archive is about 1 MB).
MAX_ARCHIVE_BYTES = 15 * 1024 * 1024


@bp.route("/workshops/<int:workshop_id>/results")
@workshop_role(Role.observer)
def results(workshop):
    """Every step's outcome on one page, with the downloads."""
    report = collect(workshop, str(get_locale() or "de"))
    return render_template(
        "results/workshop.html",
        workshop=workshop,
        report=report,
        cell=lambda value, column: format_cell(value, column, report.decimal_mark),
        may_archive=workshop_services.has_role(current_user, workshop, ARCHIVE_ROLE),
    )


@bp.app_template_filter("svg_data_uri")
def svg_data_uri(svg: str) -> str:
    """A server-drawn chart inline as ``<img src>`` (the CSP allows ``data:`` images, no inline SVG needed)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


@bp.route("/workshops/<int:workshop_id>/export.<fmt>")
@workshop_role(Role.observer)
def download(workshop, fmt: str):
    """The Dokumentation (pdf, docx), the raw data (xlsx, csv) or the archive (json) as a download."""
    if fmt not in services.FORMATS:
        abort(404)
    if fmt == "json" and not workshop_services.has_role(current_user, workshop, ARCHIVE_ROLE):
        abort(403)
    workshop_id = workshop.id
    try:
        export = services.export_in_child(workshop, fmt, actor=current_user)
    except FontMissing:
        logger.exception("PDF export without its font")
        flash(
            _("Das PDF kann auf diesem Server nicht erstellt werden: die Schriftart fehlt (siehe Protokoll)."), "danger"
        )
        return redirect(url_for("exports.results", workshop_id=workshop_id))
    except services.ExportFailed:
        logger.exception("Export of workshop %d as %s failed", workshop_id, fmt)
        flash(_("Die Datei konnte nicht erstellt werden. Bitte später noch einmal versuchen."), "danger")
        return redirect(url_for("exports.results", workshop_id=workshop_id))
    return Response(
        export.chunks(),
        mimetype=export.mimetype,
        direct_passthrough=True,
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename}"',
            "Content-Length": str(export.size),
            "Cache-Control": "no-store",
        },
    )


@bp.route("/workshops/import-archive", methods=["GET", "POST"])
@login_required
def import_archive():
    """Restore a workshop archive from another installation as a new workshop."""
    form = ArchiveForm()
    if form.validate_on_submit():
        raw = form.file.data.read(MAX_ARCHIVE_BYTES + 1)
        try:
            if len(raw) > MAX_ARCHIVE_BYTES:
                raise ArchiveError(_("Die Datei ist zu groß."))
            workshop = services.import_workshop(current_user, raw)
        except ArchiveError as error:
            flash(error.message, "danger")
        else:
            flash(
                _("Workshop aus dem Archiv wiederhergestellt. Neuer Zugangscode: %(code)s", code=workshop.join_code),
                "success",
            )
            return redirect(url_for("exports.results", workshop_id=workshop.id))
    return render_template("results/import.html", form=form)
