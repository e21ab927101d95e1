"""Security headers on every response, rate limits on logins and join codes, the reverse proxy.

What is protected how is written down in ``docs/security.md``; this module is the HTTP side of it
(the socket side is ``realtime/ratelimit.py``).

Rate limits are counted in the limiter's storage (memory, or Redis with several processes) under
keys made from the client's address; they expire with their window. The address is never written
to the database or a log.
"""

import hashlib
import logging
import re
from urllib.parse import urlsplit

import nh3
from flask import Flask, Response, current_app, g, request
from flask_login import LoginManager
from markupsafe import Markup
from werkzeug.middleware.proxy_fix import ProxyFix

from facilitation.extensions import limiter

logger = logging.getLogger(__name__)

#: Failed logins per address and account, and per address over all accounts. Only failures count,
#: and once a limit is reached every attempt is refused until the window has passed (also a right
#: password), so the limit is no oracle.
LOGIN_LIMIT_PER_ACCOUNT = "5 per minute; 20 per hour"
LOGIN_LIMIT_PER_ADDRESS = "30 per minute; 100 per hour"

#: Join codes that did not match (``/join``, ``/<code>``, ``/<code>/qr.svg``) and projector links
#: (``/<code>/screen``, ``/<code>/chart/<id>.svg``) with a wrong key, per client address. Codes that
#: match never count, so the 300 phones of a venue behind one NAT address join freely; the limit
#: only ever meets their typos. A phone that already holds a participant cookie of the workshop is
#: never refused.
JOIN_MISS_LIMIT = "30 per minute; 300 per hour"

#: New participants (``GET /<code>`` from a browser without the workshop's participant cookie), per
#: client address. A venue's 300 (or 2,000) phones behind one NAT address may all join within a
#: minute; a script that fetches the phone page in a loop is slowed to this rate, and each workshop
#: has a ceiling (``FACILITATION_MAX_PARTICIPANTS``), which bounds the rows it can create. Phones that
#: joined already are never refused. A larger venue sets ``FACILITATION_NEW_PARTICIPANT_LIMIT``.
NEW_PARTICIPANT_LIMIT = "2500 per minute; 10000 per hour"

#: Hosts as they may appear in ``connect-src``; anything else leaves only ``'self'``.
_HOST = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")

PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), fullscreen=(self)"
)


def content_security_policy(host: str) -> str:
    """The policy of every page: our own origin only, no inline code, no framing.

    ``connect-src`` names the page's own WebSocket origin too: ``'self'`` covers ``ws:``/``wss:`` of
    the same host only in browsers that implement CSP level 3.
    """
    connect = "'self'"
    if _HOST.match(host or ""):
        connect += f" ws://{host} wss://{host}"
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            f"connect-src {connect}",
            "object-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        )
    )


def _add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(request.host))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


# -- rate limit keys (kept only in the limiter's storage, never stored or logged) -------------------


def _address() -> str:
    """The client's address (after ``ProxyFix`` when behind a proxy), hashed so that not even the
    limiter's storage holds it in the clear."""
    return hashlib.sha256((request.remote_addr or "").encode()).hexdigest()[:32]


def address_key() -> str:
    """The hashed client address under which limits are counted (also for socket connects)."""
    return _address()


def _login_account_key() -> str:
    email = (request.form.get("email") or "").strip().lower()[:254]
    return f"{_address()}|{hashlib.sha256(email.encode()).hexdigest()[:32]}"


def _failed_login(response: Response) -> bool:
    """A login POST that did not log in (a successful one redirects)."""
    return response.status_code != 302


def found_by_code() -> None:
    """Tell the join limit that this request named a right code (and key): a 404 it answers later
    (e.g. a chart that is not revealed yet) is no miss."""
    g.join_code_matched = True


def _is_miss(response: Response) -> bool:
    """A join attempt that found no workshop: a 404, or the redirect back to the start page."""
    if g.get("join_code_matched"):
        return False
    if response.status_code == 404:
        return True
    return response.status_code in (301, 302, 303) and urlsplit(response.location or "").path == "/"


login_limit_per_account = limiter.limit(
    LOGIN_LIMIT_PER_ACCOUNT, key_func=_login_account_key, methods=["POST"], deduct_when=_failed_login
)
login_limit_per_address = limiter.limit(
    LOGIN_LIMIT_PER_ADDRESS, key_func=_address, methods=["POST"], deduct_when=_failed_login
)


def created_participant() -> None:
    """Tell the new-participant limit that this request created a participant: it counts."""
    g.created_participant = True


def _created_participant(_response: Response) -> bool:
    return bool(g.get("created_participant"))


def new_participant_limit(exempt_when=None):
    """The budget of participants a client address may create (``NEW_PARTICIPANT_LIMIT``)."""
    return limiter.limit(
        lambda: current_app.config.get("NEW_PARTICIPANT_LIMIT") or NEW_PARTICIPANT_LIMIT,
        key_func=_address,
        scope="new-participant",
        deduct_when=_created_participant,
        exempt_when=exempt_when,
    )


def join_limit(exempt_when=None):
    """One budget for every way of trying a join code (and projector key): misses count."""
    return limiter.shared_limit(
        JOIN_MISS_LIMIT, scope="join", key_func=_address, deduct_when=_is_miss, exempt_when=exempt_when
    )


# -- moderator HTML -----------------------------------------------------------------------------------

#: What moderator text rendered as HTML (e.g. Markdown of an info step) may contain: structure and
#: links, no scripts, styles, images, forms or event handlers.
ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "ul",
    "ol",
    "li",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "code",
    "pre",
    "a",
    "hr",
}


def sanitised(html: str) -> Markup:
    """Clean HTML made from moderator input (Markdown passes raw HTML through) before it is shown.

    Participant text is never HTML: it is escaped by Jinja or set with ``textContent``.
    """
    return Markup(
        nh3.clean(
            html or "",
            tags=ALLOWED_TAGS,
            attributes={"a": {"href"}},
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer",
        )
    )


# -- setup ------------------------------------------------------------------------------------------


def _session_identifier() -> str:
    """Flask-Login's session identifier without the client's address (its default hashes it in)."""
    agent = request.headers.get("User-Agent", "")
    return hashlib.sha512(agent.encode("utf8")).hexdigest()


def init_app(app: Flask, login_manager: LoginManager) -> None:
    proxies = app.config.get("PROXY_COUNT", 0)
    if proxies:
        # Behind nginx: take the client's address, scheme and host from the proxy's headers.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    app.after_request(_add_security_headers)
    app.jinja_env.filters["sanitised"] = sanitised
    login_manager._session_identifier_generator = _session_identifier
    limiter.init_app(app)
