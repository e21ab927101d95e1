"""The projector and moderator console pages: who may open them, what they carry, and the QR code."""

import io
import json
import re

import pytest
import segno

from facilitation.workshops import services as workshop_services
from facilitation.workshops.models import Role

I18N = re.compile(r'<script type="application/json" id="i18n">(.*?)</script>', re.S)


@pytest.fixture
def workshop(owner, create_workshop):
    return create_workshop(owner=owner)


@pytest.fixture
def member(create_account, owner, workshop):
    """An account with ``role`` in the workshop."""

    def make(role: Role):
        account = create_account()
        workshop_services.grant_role(owner, workshop, account, role)
        return account

    return make


def strings_of(page: str) -> dict:
    """The translated UI strings a page hands to its script."""
    match = I18N.search(page)
    assert match, "the page has no i18n block"
    return json.loads(match.group(1))


def scripts_of(page: str) -> list[str]:
    return re.findall(r"<script\b[^>]*>", page)


# -- projector -----------------------------------------------------------------------------------


def test_projector_with_its_key_shows_how_to_join(client, workshop):
    response = client.get(f"/{workshop.join_code}/screen?key={workshop.screen_key}")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'data-code="{workshop.join_code}"' in page
    assert f'data-key="{workshop.screen_key}"' in page
    assert f'<img src="/{workshop.join_code}/qr.svg" alt="QR-Code zum Teilnehmen"' in page
    assert f"localhost/{workshop.join_code}" in page  # the join address, without the scheme
    assert "js/projector.js" in page
    assert "css/projector.css" in page


@pytest.mark.parametrize("query", ["", "?key=", "?key=wrong", "?other=1"])
def test_projector_without_its_key_is_not_found(client, workshop, query):
    assert client.get(f"/{workshop.join_code}/screen{query}").status_code == 404


def test_projector_key_of_another_workshop_is_not_found(client, workshop, create_workshop):
    other = create_workshop()

    assert client.get(f"/{workshop.join_code}/screen?key={other.screen_key}").status_code == 404


def test_projector_of_an_unknown_code_is_not_found(client, workshop):
    assert client.get(f"/ZZZZZZ/screen?key={workshop.screen_key}").status_code == 404


@pytest.mark.parametrize("role", [Role.observer, Role.moderator, Role.owner])
def test_logged_in_team_member_is_sent_to_the_keyed_projector(client, login, member, workshop, role):
    login(client, member(role))

    response = client.get(f"/{workshop.join_code}/screen")

    assert response.status_code == 302
    assert response.location.endswith(f"/{workshop.join_code}/screen?key={workshop.screen_key}")


def test_logged_in_account_without_a_role_gets_no_projector(client, login, create_account, workshop):
    login(client, create_account())

    assert client.get(f"/{workshop.join_code}/screen").status_code == 404


def test_projector_is_a_full_screen_page_without_navigation_or_inline_code(client, workshop):
    page = client.get(f"/{workshop.join_code}/screen?key={workshop.screen_key}").get_data(as_text=True)

    assert "<nav" not in page
    assert "style=" not in page
    for tag in scripts_of(page):
        assert 'type="module" src=' in tag or 'type="application/json"' in tag, tag


def test_projector_hands_its_strings_to_the_script(client, workshop):
    page = client.get(f"/{workshop.join_code}/screen?key={workshop.screen_key}").get_data(as_text=True)

    strings = strings_of(page)
    assert strings["results_follow"] == "Ergebnisse folgen"
    assert strings["edited"] == "bearbeitet"
    assert strings["step"] == "Schritt %(n)s"  # the script fills in the placeholder


def test_projector_escapes_the_workshop_title(client, owner, create_workshop):
    workshop = create_workshop(owner=owner, title="<script>alert(1)</script> & Co")

    page = client.get(f"/{workshop.join_code}/screen?key={workshop.screen_key}").get_data(as_text=True)

    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page


# -- QR code ---------------------------------------------------------------------------------------


def test_qr_code_is_a_standalone_svg_image(client, workshop):
    response = client.get(f"/{workshop.join_code}/qr.svg")

    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert svg.lstrip().startswith(("<svg", "<?xml"))
    # Without its namespace a browser shows an SVG file as a broken image; the viewBox lets it scale.
    assert 'xmlns="http://www.w3.org/2000/svg"' in svg
    assert "viewBox=" in svg


def test_qr_code_encodes_the_join_url(client, workshop):
    svg = client.get(f"/{workshop.join_code}/qr.svg").get_data(as_text=True)

    expected = io.BytesIO()
    segno.make(f"http://localhost/{workshop.join_code}", error="m").save(
        expected, kind="svg", scale=10, border=2, dark="#000", light="#fff", xmldecl=False, omitsize=True
    )
    assert svg == expected.getvalue().decode()


def test_qr_code_follows_the_public_url(app, client, workshop):
    before = client.get(f"/{workshop.join_code}/qr.svg").get_data()
    app.config["PUBLIC_URL"] = "https://forum.example.org"

    after = client.get(f"/{workshop.join_code}/qr.svg").get_data()
    page = client.get(f"/{workshop.join_code}/screen?key={workshop.screen_key}").get_data(as_text=True)

    assert after != before
    assert f"forum.example.org/{workshop.join_code}" in page


def test_qr_code_of_an_unknown_code_is_not_found(client):
    assert client.get("/ZZZZZZ/qr.svg").status_code == 404


# -- console --------------------------------------------------------------------------------------


def console_url(workshop) -> str:
    return f"/workshops/{workshop.id}/console"


def test_console_needs_a_login(client, workshop):
    response = client.get(console_url(workshop))

    assert response.status_code == 302
    assert "/login" in response.location


def test_console_of_a_workshop_without_a_role_is_not_found(client, login, create_account, workshop):
    login(client, create_account())

    assert client.get(console_url(workshop)).status_code == 404


def test_console_of_an_unknown_workshop_is_not_found(client, login, owner):
    login(client, owner)

    assert client.get("/workshops/999999/console").status_code == 404


@pytest.mark.parametrize("role", [Role.moderator, Role.owner])
def test_console_for_moderators_links_the_keyed_projector_and_offers_actions(client, login, member, workshop, role):
    login(client, member(role))

    response = client.get(console_url(workshop))

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"/{workshop.join_code}/screen?key={workshop.screen_key}" in page
    assert 'data-can-moderate="true"' in page
    assert f'data-code="{workshop.join_code}"' in page
    assert 'id="workshop-start"' in page
    assert 'role="alert"' in page
    assert "js/console.js" in page


def test_console_for_an_administrator_of_any_workshop(client, login, create_account, workshop):
    login(client, create_account(is_admin=True))

    page = client.get(console_url(workshop)).get_data(as_text=True)

    assert 'data-can-moderate="true"' in page
    assert workshop.screen_key in page


def test_console_for_an_observer_has_no_screen_key_and_no_actions(client, login, member, workshop):
    login(client, member(Role.observer))

    response = client.get(console_url(workshop))

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert workshop.screen_key not in page
    assert 'data-can-moderate="false"' in page
    assert f'href="/{workshop.join_code}/screen"' in page  # redirects a logged-in observer to the key
    assert 'id="workshop-start"' not in page
    assert 'id="workshop-end"' not in page


def test_console_hands_its_strings_to_the_script_without_inline_code(client, login, owner, workshop):
    login(client, owner)

    page = client.get(console_url(workshop)).get_data(as_text=True)

    strings = strings_of(page)
    for key in ("approve", "hide", "reject", "edit", "personal_data", "kind_name", "kind_email", "queue"):
        assert strings[key], key
    assert strings["personal_data"] == "Möglicherweise personenbezogen:"
    assert "style=" not in page
    for tag in scripts_of(page):
        assert 'type="module" src=' in tag or 'type="application/json"' in tag, tag
