"""The workshop editor: creating workshops from templates, the agenda and its steps."""

import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from facilitation.activities import services
from facilitation.activities.forms import FORMS, MoveForm
from facilitation.activities.models import Activity
from facilitation.activities.registry import KINDS
from facilitation.extensions import db
from facilitation.workshops.access import workshop_role
from facilitation.workshops.forms import ConfirmForm, ImportForm, NewWorkshopForm
from facilitation.workshops.models import Role

bp = Blueprint("activities", __name__)


def _activity_of(workshop, activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.workshop_id != workshop.id:
        abort(404)
    return activity


@bp.route("/workshops/new", methods=["GET", "POST"])
@login_required
def new_workshop():
    form = NewWorkshopForm()
    form.template.choices = [("", _("Leerer Workshop")), *list(services.list_presets().items())]
    if form.validate_on_submit():
        definition = (
            services.load_preset(form.template.data)
            if form.template.data
            else {"format": services.DEFINITION_FORMAT, "version": services.DEFINITION_VERSION, "activities": []}
        )
        fields = {k: v for k, v in form.fields_for_service().items() if v not in (None, "")}
        try:
            workshop = services.import_definition(current_user, definition, **fields)
        except services.ActivityError as error:
            flash(error.message, "danger")
        else:
            flash(_("Workshop angelegt. Zugangscode: %(code)s", code=workshop.join_code), "success")
            return redirect(url_for("activities.agenda", workshop_id=workshop.id))
    return render_template("activities/new_workshop.html", form=form, import_form=ImportForm())


@bp.route("/workshops/import", methods=["POST"])
@login_required
def import_workshop():
    form = ImportForm()
    if form.validate_on_submit():
        try:
            definition = json.loads(form.file.data.read(2 * 1024 * 1024).decode("utf-8"))
            workshop = services.import_definition(current_user, definition)
        except (UnicodeDecodeError, json.JSONDecodeError):
            flash(_("Die Datei ist kein gültiges JSON."), "danger")
        except services.ActivityError as error:
            flash(error.message, "danger")
        else:
            flash(_("Workshop importiert."), "success")
            return redirect(url_for("activities.agenda", workshop_id=workshop.id))
    else:
        flash(_("Bitte eine Datei auswählen."), "danger")
    return redirect(url_for("activities.new_workshop"))


@bp.route("/workshops/<int:workshop_id>")
@workshop_role(Role.observer)
def agenda(workshop):
    return render_template(
        "activities/agenda.html", workshop=workshop, kinds=KINDS, confirm=ConfirmForm(), move_form=MoveForm()
    )


@bp.route("/workshops/<int:workshop_id>/duplicate", methods=["POST"])
@workshop_role(Role.moderator)
def duplicate(workshop):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    copy = services.duplicate_workshop(current_user, workshop)
    flash(_("Kopie angelegt."), "success")
    return redirect(url_for("activities.agenda", workshop_id=copy.id))


@bp.route("/workshops/<int:workshop_id>/definition.json")
@workshop_role(Role.moderator)
def export_definition(workshop):
    body = json.dumps(services.export_definition(workshop), ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="workshop-{workshop.join_code}.json"'},
    )


@bp.route("/workshops/<int:workshop_id>/steps/new/<kind>", methods=["GET", "POST"])
@workshop_role(Role.moderator)
def add(workshop, kind: str):
    if kind not in FORMS:
        abort(404)
    form = FORMS[kind]()
    if request.method == "GET":
        form.load_config(KINDS[kind].default_config())
    if form.validate_on_submit():
        try:
            services.add_activity(
                current_user, workshop, kind=kind, title=form.title.data, prompt=form.prompt.data, config=form.config()
            )
        except services.ActivityError as error:
            flash(error.message, "danger")
            form.form_errors.extend(f"{k}: {v}" for k, v in error.errors.items())
        else:
            flash(_("Schritt hinzugefügt."), "success")
            return redirect(url_for("activities.agenda", workshop_id=workshop.id))
    return render_template("activities/edit.html", workshop=workshop, form=form, kind=KINDS[kind], activity=None)


@bp.route("/workshops/<int:workshop_id>/steps/<int:activity_id>", methods=["GET", "POST"])
@workshop_role(Role.moderator)
def edit(workshop, activity_id: int):
    activity = _activity_of(workshop, activity_id)
    form = FORMS[activity.kind](obj=activity)
    if request.method == "GET":
        form.load_config(activity.config)
    if form.validate_on_submit():
        try:
            services.update_activity(
                current_user, activity, title=form.title.data, prompt=form.prompt.data, config=form.config()
            )
        except services.ActivityError as error:
            flash(error.message, "danger")
            form.form_errors.extend(f"{k}: {v}" for k, v in error.errors.items())
        else:
            flash(_("Gespeichert."), "success")
            return redirect(url_for("activities.agenda", workshop_id=workshop.id))
    return render_template(
        "activities/edit.html", workshop=workshop, form=form, kind=KINDS[activity.kind], activity=activity
    )


@bp.route("/workshops/<int:workshop_id>/steps/<int:activity_id>/move", methods=["POST"])
@workshop_role(Role.moderator)
def move(workshop, activity_id: int):
    activity = _activity_of(workshop, activity_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    services.move_activity(current_user, activity, form.position.data - 1)
    return redirect(url_for("activities.agenda", workshop_id=workshop.id, _anchor=f"step-{activity.id}"))


@bp.route("/workshops/<int:workshop_id>/steps/<int:activity_id>/remove", methods=["POST"])
@workshop_role(Role.moderator)
def remove(workshop, activity_id: int):
    activity = _activity_of(workshop, activity_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.remove_activity(current_user, activity)
    except services.ActivityError as error:
        flash(error.message, "danger")
    else:
        flash(_("Schritt entfernt."), "success")
    return redirect(url_for("activities.agenda", workshop_id=workshop.id))
