"""Security headers, rate limits on logins and join codes, and no client address kept anywhere."""

import logging
import re

import pytest
from sqlalchemy import text

from facilitation import security
from facilitation.extensions import db
from facilitation.participation import services as participation_services
from facilitation.participation.models import Participant
from facilitation.workshops import services as workshop_services

CSP_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
}


def policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


@pytest.fixture
def workshop(create_workshop, owner):
    return create_workshop(owner=owner)


# -- headers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/login", "/does/not/exist", "/static/css/app.css", "/favicon.ico"])
def test_every_response_has_the_strict_policy_and_headers(client, path):
    response = client.get(path)
    response.close()  # a static file's handle
    directives = policy(response)
    for name, value in CSP_DIRECTIVES.items():
        assert directives[name] == value, name
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert directives["connect-src"] == "'self' ws://localhost wss://localhost"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers


def test_pages_of_the_live_screens_have_the_policy(client, workshop, login, owner):
    login(client, owner)
    for path in (
        f"/{workshop.join_code}",
        f"/{workshop.join_code}/screen?key={workshop.screen_key}",
        f"/{workshop.join_code}/qr.svg",
        f"/workshops/{workshop.id}/console",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert policy(response)["script-src"] == "'self'", path


def test_connect_src_names_only_a_well_formed_host(client):
    assert policy(client.get("/", headers={"Host": "forum.example.org:8443"}))["connect-src"] == (
        "'self' ws://forum.example.org:8443 wss://forum.example.org:8443"
    )
    assert security.content_security_policy("evil; script-src *").count("script-src") == 1
    assert "connect-src 'self';" in security.content_security_policy("evil; script-src *")


def test_hsts_and_secure_cookies_over_https(make_app):
    app = make_app(SESSION_COOKIE_SECURE=True)
    response = app.test_client().get("/")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_pages_contain_no_inline_script_or_style(client, workshop, login, owner):
    """Only ``<script type="module" src>`` and JSON data blocks; no style attributes or elements."""
    login(client, owner)
    pages = [
        "/",
        "/workshops",
        f"/workshops/{workshop.id}",
        f"/workshops/{workshop.id}/settings",
        f"/workshops/{workshop.id}/members",
        f"/workshops/{workshop.id}/audit",
        f"/workshops/{workshop.id}/console",
        f"/{workshop.join_code}/screen?key={workshop.screen_key}",
        "/workshops/new",
        f"/workshops/{workshop.id}/steps/new/cards",
    ]
    anonymous = [f"/{workshop.join_code}", "/login", "/nothing/here"]
    for path in pages:
        _assert_no_inline_code(path, client.get(path).get_data(as_text=True))
    fresh = client.application.test_client()
    for path in anonymous:
        _assert_no_inline_code(path, fresh.get(path).get_data(as_text=True))


def _assert_no_inline_code(path: str, html: str) -> None:
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert ('type="module"' in tag and "src=" in tag) or 'type="application/json"' in tag, (path, tag)
    assert not re.search(r"<style\b", html), path
    assert not re.search(r"\sstyle\s*=", html), path
    assert not re.search(r"\son[a-z]+\s*=", html), path
    assert "javascript:" not in html, path


# -- login limits -----------------------------------------------------------------------------------


def test_failed_logins_are_limited_per_account_and_address(client, owner):
    for _ in range(5):
        assert client.post("/login", data={"email": owner.email, "password": "falsch-falsch"}).status_code == 200
    refused = client.post("/login", data={"email": owner.email, "password": "korrekt-pferd-batterie"})
    assert refused.status_code == 429, "over the limit even the right password is refused (no oracle)"
    assert "Zu viele Versuche" in refused.get_data(as_text=True)
    assert "Retry-After" in refused.headers
    # Another account from the same address is still free, until the address's own limit.
    assert client.post("/login", data={"email": "other@example.org", "password": "x"}).status_code == 200


def test_the_login_limit_message_is_in_english_too(client, owner):
    for _ in range(5):
        client.post("/login?lang=en", data={"email": owner.email, "password": "wrong"})
    refused = client.post("/login?lang=en", data={"email": owner.email, "password": "wrong"})
    assert refused.status_code == 429
    assert "Too many attempts" in refused.get_data(as_text=True)


def test_successful_logins_do_not_count(client, owner, login):
    for _ in range(8):
        login(client, owner)
        client.post("/logout")


def test_login_starts_a_fresh_session(client, owner):
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
        session["lang"] = "en"
    client.post("/login", data={"email": owner.email, "password": "korrekt-pferd-batterie"})
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["lang"] == "en"
        assert session["_user_id"] == str(owner.id)


# -- join codes -------------------------------------------------------------------------------------


def test_join_code_misses_are_limited_and_hits_then_refused_too(client, workshop):
    for number in range(30):
        response = client.get(f"/ZZZZ{number % 10}{number // 10 + 2}")
        assert response.status_code == 302
    assert client.get("/join?code=ZZZZZZ").status_code == 429
    assert client.get(f"/{workshop.join_code}").status_code == 429, "no oracle: a right code is refused too"
    assert client.get(f"/{workshop.join_code}/qr.svg").status_code == 429


def test_qr_and_projector_misses_share_the_budget(client, workshop):
    for _ in range(15):
        assert client.get("/ABCDEF/qr.svg").status_code == 404
        assert client.get(f"/{workshop.join_code}/screen?key=guess").status_code == 404
    assert client.get("/join?code=ABCDEF").status_code == 429


def test_projector_chart_misses_share_the_budget(client, workshop):
    """``/<code>/chart/<id>.svg`` counts a wrong code or key like ``/<code>`` and ``/<code>/qr.svg``."""
    for number in range(10):
        assert client.get(f"/ZZZZ{number}Z/chart/1.svg?key={workshop.screen_key}").status_code == 404
        assert client.get(f"/{workshop.join_code}/chart/1.svg?key=guess{number}").status_code == 404
        assert client.get(f"/{workshop.join_code}/qr.svg").status_code == 200
    for _ in range(40):  # the right key: a chart that does not exist (yet) is no miss
        assert client.get(f"/{workshop.join_code}/chart/999999.svg?key={workshop.screen_key}").status_code == 404
    for number in range(10):
        assert client.get(f"/ZZZZ{number}Y").status_code == 302
    assert client.get(f"/{workshop.join_code}/chart/999999.svg?key={workshop.screen_key}").status_code == 429
    assert client.get(f"/{workshop.join_code}/qr.svg").status_code == 429


def test_three_hundred_phones_behind_one_address_join(app, workshop):
    """A venue's NAT: every phone comes from one address; right codes never count."""
    for number in range(300):
        phone = app.test_client()
        if number % 25 == 0:  # a few typos on the way
            assert phone.get("/join?code=K7P3QX").status_code == 302
        response = phone.get(f"/join?code={workshop.join_code.lower()}", follow_redirects=True)
        assert response.status_code == 200, number
    assert db.session.query(Participant).count() == 300


def test_a_phone_that_joined_is_never_locked_out(client, app, workshop):
    assert client.get(f"/{workshop.join_code}").status_code == 200
    stranger = app.test_client()
    for _ in range(31):
        stranger.get("/join?code=QQQQQQ")
    assert stranger.get(f"/{workshop.join_code}").status_code == 429
    assert client.get(f"/{workshop.join_code}").status_code == 200, "the joined phone (same address) reloads"


def test_an_address_creates_participants_only_at_the_new_participant_rate(make_app):
    """A script fetching the phone page without cookies stops creating rows; joined phones go on."""
    app = make_app(NEW_PARTICIPANT_LIMIT="5 per minute")
    with app.app_context():
        workshop = workshop_services.create_workshop(None, title="Forum")
        phones = [app.test_client() for _ in range(5)]
        for phone in phones:
            assert phone.get(f"/{workshop.join_code}").status_code == 200
        script = app.test_client()
        for _ in range(3):
            script.delete_cookie(f"fac_{workshop.join_code}")
            assert script.get(f"/{workshop.join_code}").status_code == 429
        assert db.session.query(Participant).count() == 5
        for phone in phones:  # reloads of phones that joined are not new participants
            assert phone.get(f"/{workshop.join_code}").status_code == 200
        other = app.test_client()
        assert other.get("/", environ_base={"REMOTE_ADDR": "198.51.100.2"}).status_code == 200
        assert other.get(f"/{workshop.join_code}", environ_base={"REMOTE_ADDR": "198.51.100.2"}).status_code == 200
        assert db.session.query(Participant).count() == 6


def test_the_default_new_participant_rate_lets_a_venue_join():
    per_minute = security.NEW_PARTICIPANT_LIMIT.split(";")[0].split()[0]
    assert int(per_minute) >= 2000, "2,000 phones behind one NAT address join within a minute"


def test_a_workshop_takes_at_most_its_ceiling_of_participants(make_app):
    app = make_app(MAX_PARTICIPANTS=3)
    with app.app_context():
        workshop = workshop_services.create_workshop(None, title="Forum")
        phones = [app.test_client() for _ in range(3)]
        for phone in phones:
            assert phone.get(f"/{workshop.join_code}").status_code == 200
        late = app.test_client()
        page = late.get(f"/{workshop.join_code}").get_data(as_text=True)
        assert "Höchstzahl von 3 Teilnehmenden" in page
        assert late.get_cookie(f"fac_{workshop.join_code}") is None
        english = late.get(f"/{workshop.join_code}?lang=en").get_data(as_text=True)
        assert "maximum of 3 participants" in english
        assert db.session.query(Participant).count() == 3
        assert all(phone.get(f"/{workshop.join_code}").status_code == 200 for phone in phones)


def test_limits_count_per_forwarded_address_behind_a_proxy(make_app):
    app = make_app(PROXY_COUNT=1)
    client = app.test_client()
    for _ in range(30):
        client.get("/join?code=QQQQQQ", headers={"X-Forwarded-For": "203.0.113.7"})
    assert client.get("/join?code=QQQQQQ", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 429
    assert client.get("/join?code=QQQQQQ", headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 302


def test_a_redis_outage_does_not_stop_logins(make_app, owner):
    """Limits counted in an unreachable Redis fall back to memory instead of failing the request."""
    app = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    client = app.test_client()
    with app.app_context():
        from facilitation.accounts import services as account_services

        account_services.create_account("redis-down@example.org", "korrekt-pferd-batterie")
    response = client.post("/login", data={"email": "redis-down@example.org", "password": "korrekt-pferd-batterie"})
    assert response.status_code == 302


# -- no addresses -----------------------------------------------------------------------------------


def test_no_client_address_is_stored_or_logged(app, client, workshop, owner, login, caplog):
    caplog.set_level(logging.DEBUG)
    address = "203.0.113.77"
    environ = {"REMOTE_ADDR": address}
    login(client, owner)
    client.get(f"/{workshop.join_code}", environ_base=environ)
    client.get("/join?code=NOPE42", environ_base=environ)
    client.post("/login", data={"email": owner.email, "password": "nope"}, environ_base=environ)
    client.get("/this/fails", environ_base=environ)

    with client.session_transaction() as session:
        assert address not in str(dict(session))
    dump = "\n".join(db.session.connection().connection.driver_connection.iterdump())
    assert address not in dump
    assert address not in caplog.text
    columns = db.session.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars().all()
    for table in columns:
        names = [row[1] for row in db.session.execute(text(f'PRAGMA table_info("{table}")'))]
        assert not [n for n in names if re.search(r"(^|_)(ip|addr|address|remote|user_agent)(_|$)", n)], table


def test_participants_are_random_tokens(workshop):
    token = participation_services.new_token()
    participant = participation_services.join_workshop(workshop, token)
    assert len(token) >= 32
    assert participant.token_hash != token and len(participant.token_hash) == 64


# -- moderator HTML -----------------------------------------------------------------------------------


def test_moderator_html_is_sanitised():
    dirty = (
        '<h2 onclick="x()">Ziele</h2><script>alert(1)</script><p style="color:red">Text <a href="javascript:alert(1)">'
        'x</a> <a href="https://example.org/">ok</a></p><img src=x onerror=alert(1)><iframe src="//evil"></iframe>'
    )
    clean = str(security.sanitised(dirty))
    assert "<h2>Ziele</h2>" in clean
    assert "script" not in clean and "alert" not in clean and "onclick" not in clean
    assert "style" not in clean and "<img" not in clean and "iframe" not in clean
    assert '<a href="https://example.org/" rel="noopener noreferrer">ok</a>' in clean


def test_the_template_filter_is_registered(app):
    assert app.jinja_env.from_string("{{ body|sanitised }}").render(body="<b>fett</b><script>x</script>") == (
        "<b>fett</b>"
    )


# -- privacy and accessibility pages ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "german", "english"),
    [
        ("/datenschutz", "Datenschutz für Teilnehmende", "Privacy for participants"),
        ("/barrierefreiheit", "Erklärung zur Barrierefreiheit", "Accessibility statement"),
    ],
)
def test_privacy_and_accessibility_pages_in_both_languages(client, path, german, english):
    assert german in client.get(path).get_data(as_text=True)
    assert english in client.get(path + "?lang=en").get_data(as_text=True)


def test_the_privacy_page_names_the_retention_and_the_contact(make_app):
    app = make_app(DEFAULT_RETENTION_DAYS=30, PRIVACY_CONTACT="datenschutz@jugendamt.example")
    page = app.test_client().get("/datenschutz").get_data(as_text=True)
    assert "30 Tage nach seinem Ende" in page
    assert "datenschutz@jugendamt.example" in page


def test_phone_and_start_page_link_to_both(client, workshop):
    for path in ("/", f"/{workshop.join_code}"):
        page = client.get(path).get_data(as_text=True)
        assert 'href="/datenschutz"' in page and 'href="/barrierefreiheit"' in page, path
