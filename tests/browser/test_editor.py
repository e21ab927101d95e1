"""The workshop editor in a real browser: template, agenda, moving and adding steps."""

import re

from playwright.sync_api import Page, expect

JOIN_CODE = re.compile(r"^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{6}$")
TEMPLATE_STEPS = [
    "Stand und Ausblick",
    "Wer ist heute dabei?",
    "Ziele 2025–2030",
    "Erhalten – Zurücklassen – Neu gestalten",
    "Themen bilden",
    "Zukunftsthemen",
    "Handlungsempfehlungen",
]


def step_titles(page: Page) -> list[str]:
    return [text.strip() for text in page.locator("ol[aria-label='Schritte'] > li .fw-semibold").all_inner_texts()]


def test_create_workshop_from_template_and_edit_agenda(page: Page, live_server, login_as, screenshot):
    login_as(page)

    page.goto(f"{live_server.url}/workshops/new")
    page.get_by_label("Titel").fill("Zukunftsforum Kinderschutz")
    page.get_by_label("Vorlage").select_option(label="Strategie 2025–2030")
    screenshot("01-new-workshop")
    page.get_by_role("button", name="Workshop anlegen").click()

    # The agenda of the new workshop, with the template's seven steps in order.
    expect(page).to_have_url(re.compile(r"/workshops/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Zukunftsforum Kinderschutz")
    expect(page.get_by_role("status").filter(has_text="Workshop angelegt")).to_be_visible()
    steps = page.get_by_role("list", name="Schritte").get_by_role("listitem")
    expect(steps).to_have_count(7)
    assert step_titles(page) == TEMPLATE_STEPS
    join_code = page.locator("code.join-code").inner_text().strip()
    assert JOIN_CODE.match(join_code), join_code
    expect(page.get_by_role("status")).to_contain_text(join_code)
    screenshot("02-agenda-from-template")

    # Move the check-in to the front with its position form.
    checkin = steps.filter(has_text="Wer ist heute dabei?")
    checkin.get_by_label("Position von „Wer ist heute dabei?“").fill("1")
    checkin.get_by_role("button", name="Verschieben").click()
    expect(page.locator("ol[aria-label='Schritte'] > li").first).to_contain_text("Wer ist heute dabei?")
    assert step_titles(page) == [TEMPLATE_STEPS[1], TEMPLATE_STEPS[0], *TEMPLATE_STEPS[2:]]
    expect(page.get_by_label("Position von „Wer ist heute dabei?“")).to_have_value("1")
    expect(page.get_by_label("Position von „Stand und Ausblick“")).to_have_value("2")
    screenshot("03-agenda-after-move")

    # Add a card question with columns.
    page.get_by_role("link", name="Kartenabfrage", exact=True).click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("Neuer Schritt: Kartenabfrage")
    page.get_by_label("Titel").fill("Was brauchen Familien 2030?")
    page.get_by_label("Frage oder Hinweis für alle").fill("Eine Idee pro Karte.")
    page.get_by_label("Spalten").fill("Chancen\nRisiken\nOffene Fragen")
    screenshot("04-new-card-step")
    page.get_by_role("button", name="Speichern").click()

    expect(page).to_have_url(re.compile(r"/workshops/\d+(#.*)?$"))
    expect(page.get_by_role("status").filter(has_text="Schritt hinzugefügt")).to_be_visible()
    expect(steps).to_have_count(8)
    assert step_titles(page)[-1] == "Was brauchen Familien 2030?"
    expect(steps.last).to_contain_text("Kartenabfrage")
    screenshot("05-agenda-with-new-step")

    # The columns were stored: the edit form shows them again.
    # Named for its step, exactly (an aria-label: no "Bearbeiten : …" from a hidden span).
    steps.last.get_by_role("link", name="Bearbeiten: Was brauchen Familien 2030?", exact=True).click()
    expect(page.get_by_label("Spalten")).to_have_value("Chancen\nRisiken\nOffene Fragen")
    expect(page.locator("code.join-code")).to_have_text(join_code)


def test_login_page_in_english(page: Page, live_server, screenshot):
    page.goto(f"{live_server.url}/login?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in for moderators")
    expect(page.get_by_label("Email address")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    screenshot("login-english")

    page.get_by_role("link", name="Deutsch").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmeldung für Moderation")
