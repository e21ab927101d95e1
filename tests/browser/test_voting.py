"""Voting in a real browser: the demo's dot vote on a phone (390×844) and at 320 px, the 2×2 matrix
by keyboard on a phone, the reveal on the 1920×1080 projector, results and breakdowns in the console.

Screenshots land in ``artifacts/screenshots/`` (checked by eye: see the test names)."""

import json
import re
import sqlite3

import pytest
from live.liveforum import Screen, log_in
from playwright.sync_api import Browser, Page, expect

from browser.a11y import Audit

VOTE_STEP = "Zukunftsthemen"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
SMALL_PHONE = {"viewport": {"width": 320, "height": 640}, "is_mobile": True, "has_touch": True}
PROJECTOR = {"viewport": {"width": 1920, "height": 1080}}
MATRIX_TOPICS = ["Krisenmanagement", "Personalgewinnung", "Schutzkonzepte", "Beteiligung junger Menschen"]


def query(server, sql, *params):
    connection = sqlite3.connect(server.sqlite_path, timeout=10)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


class Forum:
    """A workshop on the live server, a moderator's socket connection to it, and the screens' addresses."""

    def __init__(self, server, moderator, code):
        self.server, self.code = server, code
        self.http = log_in(server, moderator.email, moderator.password)
        self.console = Screen(self, {"screen": "console", "code": code}, http=self.http)
        [(self.workshop_id, self.key)] = query(server, "SELECT id, screen_key FROM workshops WHERE join_code = ?", code)

    def step(self, title):
        return next(a["id"] for a in self.console.snapshot["activities"] if a["title"] == title)

    @property
    def phone_url(self):
        return f"{self.server.url}/{self.code}"

    @property
    def projector_url(self):
        return f"{self.server.url}/{self.code}/screen?key={self.key}"

    @property
    def console_url(self):
        return f"{self.server.url}/workshops/{self.workshop_id}/console"


@pytest.fixture
def demo(live_server, moderator):
    output = live_server.cli("load-demo", "--owner", moderator.email)
    forum = Forum(live_server, moderator, re.search(r"join code ([A-Z0-9]{6})", output).group(1))
    yield forum
    forum.console.close()


@pytest.fixture
def matrix_forum(live_server, moderator):
    """A workshop imported from a definition: one 2×2 matrix vote on four topics."""
    http = log_in(live_server, moderator.email, moderator.password)
    page = http.get(f"{live_server.url}/workshops/new", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    definition = {
        "format": "facilitation.workshop",
        "version": 1,
        "workshop": {"title": "Matrix-Forum"},
        "activities": [
            {
                "kind": "vote",
                "title": "Wichtig und dringend?",
                "prompt": "Wie wichtig und wie dringend ist jedes Thema?",
                "config": {"method": "matrix", "items_from": "fixed", "options": MATRIX_TOPICS},
            }
        ],
    }
    response = http.post(
        f"{live_server.url}/workshops/import",
        data={"csrf_token": token},
        files={"file": ("forum.json", json.dumps(definition), "application/json")},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:500]
    [(code,)] = query(
        live_server, "SELECT join_code FROM workshops WHERE title = 'Matrix-Forum' ORDER BY id DESC LIMIT 1"
    )
    forum = Forum(live_server, moderator, code)
    yield forum
    forum.console.close()


def named(action: str, subject: str) -> re.Pattern:
    """An accessible name: the action, then what it acts on ("Einordnen: <option>", no space before the colon)."""
    return re.compile(rf"^{re.escape(action)}: {re.escape(subject)}$")


def topic_button(page: Page, label: str):
    return page.locator(".vote-toggle").filter(has_text=label)


def test_dot_voting_on_a_phone_and_the_reveal_on_the_projector(
    browser: Browser, page: Page, demo, login_as, screenshot, live_server
):
    # The moderator starts the workshop and opens the vote in the console.
    login_as(page)
    page.goto(demo.console_url)
    page.get_by_role("button", name="Workshop starten").click()
    agenda = page.get_by_role("navigation", name="Ablauf")
    agenda.get_by_role("button", name=re.compile(f"^Öffnen.*{VOTE_STEP}")).click()
    expect(page.locator("#step-title")).to_have_text(VOTE_STEP)
    expect(page.locator(".vote-summary")).to_contain_text("Personen haben abgestimmt")

    projector = browser.new_context(locale="de-DE", **PROJECTOR).new_page()
    projector.goto(demo.projector_url)
    expect(projector.locator(".vote-screen-topics li")).to_have_count(8)
    expect(projector.locator("#vote-screen-count-value")).to_have_text("0")

    phone = browser.new_context(locale="de-DE", **PHONE).new_page()
    phone.goto(demo.phone_url)
    expect(phone.get_by_role("heading", name=VOTE_STEP)).to_be_visible()
    expect(phone.locator("#vote-budget")).to_have_text("Noch 3 von 3 Punkten")
    # The rules once: from the step's settings, not repeated in the question.
    expect(phone.locator(".vote-help")).to_have_text("Verteilen Sie 3 Punkte, höchstens 1 pro Thema.")
    assert phone.locator("main").inner_text().count("pro Thema") == 1
    screenshot("01-phone-ballot", target=phone, full_page=False)
    audit = Audit()
    audit.check(phone, "phone ballot")
    audit.check(projector, "projector before the reveal")

    for label in ("Krisenmanagement", "Kinderschutzkoordination", "Beteiligung von Kindern"):
        topic_button(phone, label).click()
    expect(phone.locator("#vote-budget")).to_have_text("Alle 3 Punkte verteilt")
    expect(topic_button(phone, "Krisenmanagement")).to_have_attribute("aria-pressed", "true")
    expect(
        phone.get_by_role("button", name=named("Krisenmanagement – präventiv & reaktiv", "Punkt gesetzt"))
    ).to_be_visible()
    expect(
        phone.get_by_role(
            "button", name="Inklusion – Hilfen aus einer Hand & spezifische Schutzbedürfnisse", exact=True
        )
    ).to_be_visible()
    topic_button(phone, "Inklusion").click()  # a fourth dot: refused on the phone already
    expect(phone.locator("#vote-status")).to_contain_text("Alle Punkte sind verteilt")
    expect(topic_button(phone, "Inklusion")).to_have_attribute("aria-pressed", "false")
    screenshot("02-phone-three-dots", target=phone, full_page=False)
    topic_button(phone, "Kinderschutzkoordination").click()
    topic_button(phone, "Kinderschutzkoordination").click()
    expect(phone.locator("#vote-status")).to_have_text("Noch nicht abgegeben – bitte „Stimme abgeben“ tippen.")

    phone.get_by_role("button", name="Stimme abgeben").click()
    expect(phone.locator("#vote-status")).to_have_text("Ihre Stimme ist gespeichert ✓")
    expect(projector.locator("#vote-screen-count-value")).to_have_text("1")
    screenshot("03-phone-sent", target=phone, full_page=False)
    audit.check(phone, "phone after sending")

    # Change the ballot while the step is open: one dot moves.
    topic_button(phone, "Beteiligung von Kindern").click()
    topic_button(phone, "Personalsituation").click()
    phone.get_by_role("button", name="Stimme ändern").click()
    expect(phone.locator("#vote-status")).to_have_text("Ihre Stimme ist gespeichert ✓")
    rows = query(
        live_server,
        "SELECT o.label FROM ballot_entries e JOIN options o ON o.id = e.option_id WHERE o.activity_id = ? "
        "ORDER BY o.position",
        demo.step(VOTE_STEP),
    )
    assert [label for (label,) in rows] == [
        "Krisenmanagement – präventiv & reaktiv",
        "Personalsituation – Mangel, Gewinnung & Bindung",
        "Kinderschutzkoordination",
    ]

    # A second phone, 320 px wide, votes too; nothing of the first phone's ballot shows there.
    small = browser.new_context(locale="de-DE", **SMALL_PHONE).new_page()
    small.goto(demo.phone_url)
    expect(small.locator("#vote-budget")).to_have_text("Noch 3 von 3 Punkten")
    topic_button(small, "Krisenmanagement").click()
    assert small.evaluate("document.documentElement.scrollWidth") <= 320
    screenshot("04-phone-320px", target=small, full_page=False)
    small.get_by_role("button", name="Stimme abgeben").click()
    expect(small.locator("#vote-status")).to_have_text("Ihre Stimme ist gespeichert ✓")
    expect(projector.locator("#vote-screen-count-value")).to_have_text("2")
    expect(projector.locator(".vote-screen-chart")).to_have_count(0)  # hidden until revealed
    screenshot("05-projector-before-reveal", target=projector, full_page=False)

    # The moderator reveals: the projector shows the chart, the phones the results.
    page.get_by_label("Antworten auf der Leinwand aufdecken").check()
    chart = projector.locator("#vote-screen-chart")
    expect(chart).to_be_visible()
    projector.wait_for_function("() => document.getElementById('vote-screen-chart').naturalWidth > 0")
    expect(chart).to_have_attribute(
        "alt", re.compile(r"^Ergebnisse\. 1\. Krisenmanagement – präventiv & reaktiv: 2 Punkte")
    )
    screenshot("06-projector-revealed", target=projector, full_page=False)
    # The chart names every topic in full: the longest wraps onto more lines, nothing is cut off with "…".
    svg = projector.request.get(chart.evaluate("image => image.src")).text()
    assert "…" not in svg
    for word in ("Inklusion", "spezifische", "Schutzbedürfnisse", "Arbeitsebene"):
        assert f"{word}<" in svg or f"{word} " in svg
    expect(phone.locator(".vote-phone-results .vote-result").first).to_contain_text("Krisenmanagement")
    audit.check(projector, "projector revealed")
    audit.check(phone, "phone with results")

    # Results and the breakdown in the console.
    expect(page.locator(".vote-visibility")).to_have_text("Ergebnisse auf der Leinwand sichtbar")
    expect(page.locator(".vote-table tbody tr").first).to_contain_text("2 Punkte")
    page.get_by_role("button", name="Laden").click()
    table = page.locator(".vote-breakdown-table")
    expect(table).to_be_visible()
    expect(table.locator("tfoot .breakdown-total")).to_contain_text("2")
    screenshot("07-console-results")
    audit.check(page, "console results and breakdown")

    # The results page (linked from the console) with both breakdowns.
    page.goto(f"{demo.server.url}/workshops/{demo.workshop_id}/steps/{demo.step(VOTE_STEP)}/results")
    expect(page.get_by_role("heading", level=2)).to_have_text(f"Ergebnisse: {VOTE_STEP}")
    expect(page.get_by_role("heading", name="Nach Organisation")).to_be_visible()
    expect(page.get_by_role("heading", name="Nach Rolle")).to_be_visible()
    page.wait_for_function("() => document.querySelector('.results-chart img').naturalWidth > 0")
    screenshot("08-results-page")
    audit.check(page, "results page")
    assert not audit.findings, audit.report()


def test_the_matrix_on_a_phone_by_keyboard_and_on_the_projector(
    browser: Browser, page: Page, matrix_forum, screenshot, live_server
):
    forum = matrix_forum
    step = forum.step("Wichtig und dringend?")
    forum.console.command("change_workshop_state", {"state": "live"})
    forum.console.command("open_activity", {"activity_id": step})

    phone = browser.new_context(locale="de-DE", **PHONE).new_page()
    phone.goto(forum.phone_url)
    expect(phone.get_by_role("heading", name="Wichtig und dringend?")).to_be_visible()
    expect(phone.locator("#vote-budget")).to_have_text("0 von 4 beantwortet")
    screenshot("01-matrix-phone", target=phone, full_page=False)

    # No dragging needed: "Einordnen", then each axis is a slider that arrow keys move.
    phone.get_by_role("button", name=named("Einordnen", "Krisenmanagement")).click()
    importance = phone.get_by_role("slider", name=named("Wichtigkeit", "Krisenmanagement"))
    urgency = phone.get_by_role("slider", name=named("Dringlichkeit", "Krisenmanagement"))
    expect(importance).to_be_focused()
    for _ in range(4):
        importance.press("ArrowRight")
    urgency.focus()
    for _ in range(3):
        urgency.press("ArrowRight")
    expect(importance).to_have_attribute("aria-valuetext", "9 von 10 (hoch)")
    expect(urgency).to_have_attribute("aria-valuetext", "8 von 10 (hoch)")
    phone.get_by_role("button", name=named("Einordnen", "Beteiligung junger Menschen")).click()
    low = phone.get_by_role("slider", name=named("Wichtigkeit", "Beteiligung junger Menschen"))
    for _ in range(3):
        low.press("ArrowLeft")
    expect(phone.locator("#vote-budget")).to_have_text("2 von 4 beantwortet")
    expect(phone.locator(".vote-marker:not([hidden])")).to_have_count(2)
    screenshot("02-matrix-placed", target=phone, full_page=False)
    audit = Audit()
    audit.check(phone, "matrix with sliders")

    phone.get_by_role("button", name="Stimme abgeben").click()
    expect(phone.locator("#vote-status")).to_have_text("Ihre Stimme ist gespeichert ✓")
    rows = query(
        live_server,
        "SELECT o.label, e.x, e.y FROM ballot_entries e JOIN options o ON o.id = e.option_id "
        "WHERE o.activity_id = ? ORDER BY o.position",
        step,
    )
    assert rows == [("Krisenmanagement", 0.9, 0.8), ("Beteiligung junger Menschen", 0.2, 0.5)]

    forum.console.command("reveal_activity", {"activity_id": step})
    projector = browser.new_context(locale="de-DE", **PROJECTOR).new_page()
    projector.goto(forum.projector_url)
    chart = projector.locator("#vote-screen-chart")
    expect(chart).to_be_visible()
    projector.wait_for_function("() => document.getElementById('vote-screen-chart').naturalWidth > 0")
    expect(chart).to_have_attribute("alt", re.compile("Krisenmanagement: wichtig & dringend"))
    screenshot("03-matrix-projector", target=projector, full_page=False)
    expect(phone.locator(".vote-phone-results")).to_contain_text("wichtig & dringend")
    screenshot("04-matrix-phone-results", target=phone, full_page=False)
    audit.check(projector, "matrix on the projector")
    assert not audit.findings, audit.report()
