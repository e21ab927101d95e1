"""Moderators' workshop list and workshop settings."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from facilitation.accounts import services as account_services
from facilitation.workshops import services
from facilitation.workshops.access import workshop_role
from facilitation.workshops.forms import ConfirmForm, MemberForm, WorkshopForm
from facilitation.workshops.models import Role

bp = Blueprint("workshops", __name__)


@bp.route("/")
def home():
    if current_user.is_authenticated:
        return redirect(url_for("workshops.index"))
    return render_template("workshops/home.html")


@bp.route("/datenschutz")
def privacy():
    """What is stored about participants, for how long, and whom to ask (German and English)."""
    return render_template(
        "workshops/privacy.html",
        retention_days=current_app.config["DEFAULT_RETENTION_DAYS"],
        contact=current_app.config["PRIVACY_CONTACT"],
    )


@bp.route("/barrierefreiheit")
def accessibility():
    """The accessibility statement."""
    return render_template("workshops/accessibility.html", contact=current_app.config["PRIVACY_CONTACT"])


@bp.route("/workshops")
@login_required
def index():
    return render_template(
        "workshops/index.html", workshops=services.workshops_for(current_user), confirm=ConfirmForm()
    )


@bp.route("/workshops/<int:workshop_id>/settings", methods=["GET", "POST"])
@workshop_role(Role.owner)
def edit(workshop):
    form = WorkshopForm(obj=workshop)
    if form.validate_on_submit():
        try:
            services.update_workshop(current_user, workshop, **form.fields_for_service())
        except services.WorkshopError as error:
            flash(error.message, "danger")
        else:
            flash(_("Gespeichert."), "success")
            return redirect(url_for("activities.agenda", workshop_id=workshop.id))
    return render_template("workshops/edit.html", workshop=workshop, form=form)


@bp.route("/workshops/<int:workshop_id>/delete", methods=["POST"])
@workshop_role(Role.owner)
def delete(workshop):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    title = workshop.title
    services.delete_workshop(current_user, workshop)
    flash(_("Der Workshop „%(title)s“ und alle seine Daten wurden gelöscht.", title=title), "success")
    return redirect(url_for("workshops.index"))


@bp.route("/workshops/<int:workshop_id>/members", methods=["GET", "POST"])
@workshop_role(Role.owner)
def members(workshop):
    form = MemberForm()
    if form.validate_on_submit():
        account = account_services.find_account(form.email.data)
        if account is None:
            form.email.errors.append(_("Es gibt kein Konto mit dieser E-Mail-Adresse."))
        else:
            try:
                services.grant_role(current_user, workshop, account, Role(form.role.data))
            except services.WorkshopError as error:
                flash(error.message, "danger")
            else:
                flash(_("%(email)s ist jetzt dabei.", email=account.email), "success")
                return redirect(url_for("workshops.members", workshop_id=workshop.id))
    return render_template("workshops/members.html", workshop=workshop, form=form, confirm=ConfirmForm())


@bp.route("/workshops/<int:workshop_id>/members/<int:account_id>/remove", methods=["POST"])
@workshop_role(Role.owner)
def remove_member(workshop, account_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    membership = next((m for m in workshop.memberships if m.account_id == account_id), None)
    if membership is None:
        abort(404)
    try:
        services.revoke_role(current_user, workshop, membership.account)
    except services.WorkshopError as error:
        flash(error.message, "danger")
    return redirect(url_for("workshops.members", workshop_id=workshop.id))


@bp.route("/workshops/<int:workshop_id>/audit")
@workshop_role(Role.moderator)
def audit(workshop):
    return render_template("workshops/audit.html", workshop=workshop, entries=services.audit_log(workshop))
