from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user

from facilitation.accounts import services
from facilitation.accounts.forms import LoginForm
from facilitation.security import login_limit_per_account, login_limit_per_address

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str:
    """Only follow ``next`` to a path on this site."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("workshops.index")


@bp.route("/login", methods=["GET", "POST"])
@login_limit_per_address
@login_limit_per_account
def login():
    form = LoginForm()
    if form.validate_on_submit():
        account = services.authenticate(form.email.data, form.password.data)
        if account:
            # A fresh session at login: nothing set before it (by whoever) carries over.
            language = session.get("lang")
            session.clear()
            if language:
                session["lang"] = language
            login_user(account, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
        flash(_("E-Mail-Adresse oder Passwort stimmen nicht."), "danger")
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash(_("Sie sind abgemeldet."), "info")
    return redirect(url_for("accounts.login"))
