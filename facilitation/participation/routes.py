"""The three live screens' pages: phone (public), projector (secret link), console (moderators)."""

import hmac
import io

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from facilitation.participation import services
from facilitation.participation.sockets import TOKEN_COOKIE
from facilitation.security import created_participant, join_limit, new_participant_limit
from facilitation.workshops import services as workshop_services
from facilitation.workshops.access import workshop_role
from facilitation.workshops.models import Role, Workshop

bp = Blueprint("participation", __name__)

TOKEN_MAX_AGE = 60 * 60 * 24 * 180  # half a year: a strategy process runs over several forums


def join_url(workshop: Workshop) -> str:
    """The address phones open, as shown on the projector and in the QR code."""
    base = current_app.config["PUBLIC_URL"] or request.host_url.rstrip("/")
    return f"{base}/{workshop.join_code}"


def _workshop_named(code: str) -> Workshop | None:
    """The workshop of a join code, looked up once per request (the join limit asks first)."""
    found = g.setdefault("participation_workshops", {})
    if code not in found:
        found[code] = workshop_services.find_by_join_code(code)
    return found[code]


def _has_joined() -> bool:
    """The phone holds a participant token of the workshop named in the URL: it joined already."""
    workshop = _workshop_named((request.view_args or {}).get("code", ""))
    if workshop is None:
        return False
    token = request.cookies.get(TOKEN_COOKIE.format(code=workshop.join_code))
    return services.find_participant(workshop, token) is not None


#: Misses (unknown codes, wrong projector keys) are limited per client address; see ``security``.
join_attempt = join_limit(exempt_when=_has_joined)
#: So are the participants an address creates; a phone that joined already is never refused.
new_participant = new_participant_limit(exempt_when=_has_joined)


def _workshop_or_404(code: str) -> Workshop:
    workshop = workshop_services.find_by_join_code(code)
    if workshop is None:
        abort(404)
    return workshop


@bp.route("/join")
@join_attempt
def join_form():
    """The start page's code field lands here."""
    workshop = workshop_services.find_by_join_code(request.args.get("code", ""))
    if workshop is None:
        flash(_("Zu diesem Code gibt es keinen Workshop. Bitte prüfen Sie die Schreibweise."), "danger")
        return redirect(url_for("workshops.home"))
    return redirect(url_for("participation.phone", code=workshop.join_code))


@bp.route("/<code>")
@join_attempt
@new_participant
def phone(code: str):
    workshop = _workshop_named(code)
    if workshop is None and not code.replace("-", "").isalnum():
        abort(404)  # e.g. a browser's /favicon.ico or /robots.txt, not a mistyped code
    if workshop is None:
        flash(_("Zu diesem Code gibt es keinen Workshop. Bitte prüfen Sie die Schreibweise."), "danger")
        return redirect(url_for("workshops.home"))
    if code != workshop.join_code:
        return redirect(url_for("participation.phone", code=workshop.join_code))
    cookie = TOKEN_COOKIE.format(code=workshop.join_code)
    token = request.cookies.get(cookie)
    is_new = services.find_participant(workshop, token) is None
    if is_new:
        token = services.new_token()
    try:
        services.join_workshop(workshop, token)
    except services.ParticipationError as error:
        return render_template("participation/ended.html", workshop=workshop, message=error.message)
    if is_new:
        created_participant()
    response = make_response(_phone_page(workshop))
    response.set_cookie(
        cookie, token, max_age=TOKEN_MAX_AGE, httponly=True, samesite="Lax", secure=request.is_secure, path="/"
    )
    return response


def _phone_page(workshop: Workshop) -> str:
    """The phone's page. It is the same for every participant of a workshop (the token is in the
    cookie, everything else comes over the socket), so it is rendered once per workshop, title and
    language: 2,000 phones joining within a minute would otherwise spend more of the server's time in
    the template than in anything else."""
    if session.get("_flashes"):  # a message for this visitor only
        return render_template("participation/phone.html", workshop=workshop)
    pages = current_app.extensions.setdefault("participation.phone_pages", {})
    key = (workshop.id, workshop.join_code, workshop.title, str(get_locale()))
    if key not in pages:
        if len(pages) >= 100:
            pages.clear()
        pages[key] = render_template("participation/phone.html", workshop=workshop)
    return pages[key]


@bp.route("/<code>/screen")
@join_attempt
def projector(code: str):
    """The projector's page; the key in the link is its authorisation."""
    workshop = _workshop_or_404(code)
    key = request.args.get("key", "")
    if not hmac.compare_digest(key.encode(), workshop.screen_key.encode()):
        if workshop_services.has_role(current_user, workshop, Role.observer):
            return redirect(url_for("participation.projector", code=workshop.join_code, key=workshop.screen_key))
        abort(404)
    return render_template("participation/projector.html", workshop=workshop, join_url=join_url(workshop))


@bp.route("/<code>/qr.svg")
@join_attempt
def qr_code(code: str):
    workshop = _workshop_or_404(code)
    # A standalone SVG file needs its namespace (``svg_inline`` leaves it out, and browsers then show no
    # image); the viewBox lets it scale to whatever size the page gives it.
    svg = io.BytesIO()
    segno.make(join_url(workshop), error="m").save(
        svg, kind="svg", scale=10, border=2, dark="#000", light="#fff", xmldecl=False, omitsize=True
    )
    return Response(svg.getvalue(), mimetype="image/svg+xml", headers={"Cache-Control": "public, max-age=300"})


@bp.route("/workshops/<int:workshop_id>/console")
@workshop_role(Role.observer)
def console(workshop):
    can_moderate = workshop_services.has_role(current_user, workshop, Role.moderator)
    return render_template(
        "participation/console.html", workshop=workshop, join_url=join_url(workshop), can_moderate=can_moderate
    )
