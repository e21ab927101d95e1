"""The clustering board and the Handlungsempfehlungen in a real browser, on the demo workshop.

Cards come from phones over Socket.IO (as in the live tests); the moderator then works in the console:
a cluster made by hand, a card moved by keyboard ("Verschieben nach …") and one by drag and drop, a
suggestion accepted; the projector mirrors the board. Then a recommendation is drafted from a cluster
and a phone (a real page) answers its consent check.
"""

import re

import pytest
import requests
import socketio
from live.liveforum import Screen, log_in
from playwright.sync_api import Page, expect

from browser.a11y import Audit

CARDS = [
    "Mehr Personal im ASD",
    "Personal im ASD aufstocken",
    "Der ASD braucht mehr Personal",
    "Digitale Akte für alle Ämter",
    "Die digitale Akte endlich einführen",
    "Digitale Akte statt Papier",
    "Schulen früher einbeziehen",
    "Kaffee in den Pausen",
    "Tablets für Hausbesuche",
]
CARD_STEP = "Ziele 2025–2030"
BOARD_STEP = "Themen bilden"
RECOMMENDATIONS_STEP = "Handlungsempfehlungen"


class Forum:
    def __init__(self, server, moderator):
        output = server.cli("load-demo", "--owner", moderator.email)
        self.code = re.search(r"join code ([A-Z0-9]{6})", output).group(1)
        self.server = server
        self.http = log_in(server, moderator.email, moderator.password)
        self.console = Screen(self, {"screen": "console", "code": self.code}, http=self.http)
        self.activities = {a["title"]: a for a in self.console.snapshot["activities"]}
        self.workshop_id = self.console.snapshot["workshop"]["id"]

    def step(self, title):
        return self.activities[title]["id"]

    def write_cards(self, texts):
        """Phones (three cards each, the step's limit) write the cards; the moderator approves them."""
        self.console.command("change_workshop_state", {"state": "live"})
        self.console.command("open_activity", {"activity_id": self.step(CARD_STEP)})
        for start in range(0, len(texts), 3):
            http = requests.Session()
            assert http.get(f"{self.server.url}/{self.code}", timeout=10).status_code == 200
            phone = socketio.Client(reconnection=False, http_session=http)
            phone.connect(
                self.server.url, auth={"screen": "phone", "code": self.code}, transports=["websocket"], wait_timeout=10
            )
            try:
                for number, text in enumerate(texts[start : start + 3]):
                    ack = phone.call(
                        "submit_card",
                        {"client_id": f"card-{start}-{number}-x", "activity_id": self.step(CARD_STEP), "text": text},
                        timeout=15,
                    )
                    assert ack["ok"], ack
                    self.console.command("approve_card", {"card_id": ack["card"]["id"]})
            finally:
                phone.disconnect()
        self.console.command("close_activity", {"activity_id": self.step(CARD_STEP)})

    def key(self):
        page = self.http.get(f"{self.server.url}/workshops/{self.workshop_id}/console", timeout=10).text
        return re.search(r"/screen\?key=([A-Za-z0-9_-]+)", page).group(1)

    def close(self):
        self.console.close()


@pytest.fixture
def forum(live_server, moderator):
    forum = Forum(live_server, moderator)
    yield forum
    forum.close()


def named(action: str, subject: str) -> re.Pattern:
    """A button's accessible name: the action, then what it acts on ("Bearbeiten: <topic>", no space before ":")."""
    return re.compile(rf"^{re.escape(action)}: {re.escape(subject)}$")


def board_column(page: Page, label: str):
    return page.locator(".board-column").filter(has=page.locator(".board-column-title", has_text=label))


def test_build_clusters_by_keyboard_drag_and_suggestion_and_the_projector_mirrors(
    page: Page, forum, login_as, screenshot, live_server
):
    forum.write_cards(CARDS)
    login_as(page)
    page.goto(f"{live_server.url}/workshops/{forum.workshop_id}/console")
    page.locator(".agenda-select", has_text=BOARD_STEP).click()
    expect(page.get_by_role("heading", level=2, name=BOARD_STEP)).to_be_visible()
    page.locator("#step-controls").get_by_role("button", name="Zeigen").click()
    pile = board_column(page, "Nicht zugeordnet")
    expect(pile.locator(".board-card")).to_have_count(len(CARDS), timeout=15_000)

    projector = page.context.new_page()
    projector.set_viewport_size({"width": 1920, "height": 1080})
    projector.goto(f"{live_server.url}/{forum.code}/screen?key={forum.key()}")
    expect(projector.locator("#step-title")).to_have_text(BOARD_STEP)

    # A cluster by hand, and a card moved into it with the keyboard-operable "Verschieben nach …" menu.
    page.get_by_label("Neues Cluster").fill("Schule")
    page.get_by_role("button", name="Anlegen", exact=True).click()
    school = board_column(page, "Schule")
    expect(school).to_be_visible()
    move = page.get_by_label("Verschieben nach …: Schulen früher einbeziehen")
    move.focus()
    move.select_option(label="Schule")
    expect(school.locator(".board-card")).to_have_count(1)
    expect(page.get_by_label("Verschieben nach …: Schulen früher einbeziehen")).to_be_focused()
    expect(page.locator("#announce")).to_contain_text("Schule")
    screenshot("01-cluster-by-keyboard")

    # Drag and drop: a card from the pile onto the cluster.
    pile.locator(".board-card-text", has_text="Tablets für Hausbesuche").drag_to(school.locator(".board-card").first)
    expect(school.locator(".board-card")).to_have_count(2)
    expect(school).to_contain_text("2 Nennungen")

    # Suggestions: proposed, nothing moves; accept one.
    page.get_by_role("button", name="Vorschläge machen").click()
    suggestions = page.locator(".suggestion")
    expect(suggestions.first).to_be_visible(timeout=30_000)
    expect(pile.locator(".board-card")).to_have_count(len(CARDS) - 2)
    screenshot("02-suggestions")
    first = suggestions.filter(has_text="Personal").first
    first.get_by_label("Name des Clusters").fill("Personal")
    first.get_by_role("button", name=re.compile("^Vorschlag übernehmen")).click()
    personal = board_column(page, "Personal")
    expect(personal.locator(".board-card")).to_have_count(3)
    expect(personal).to_contain_text("3 Nennungen")
    screenshot("03-suggestion-accepted")

    # The projector mirrors the board, with the mentions per cluster.
    expect(projector.locator(".pcluster")).to_have_count(2)
    expect(projector.locator(".pcluster", has_text="Personal")).to_contain_text("3 Nennungen")
    expect(projector.locator(".pcluster", has_text="Schule")).to_contain_text("2 Nennungen")
    screenshot("04-projector-board", target=projector, full_page=False)


def test_draft_a_recommendation_and_a_phone_gives_a_consent_check(
    page: Page, forum, login_as, screenshot, live_server, browser
):
    forum.write_cards(CARDS[:3])
    board = forum.step(BOARD_STEP)
    card_ids = forum.console.command("load_activity", {"activity_id": board})["view"]["unassigned"]
    forum.console.command("create_cluster", {"activity_id": board, "label": "Personal", "card_ids": card_ids})

    login_as(page)
    page.goto(f"{live_server.url}/workshops/{forum.workshop_id}/console")
    page.locator(".agenda-select", has_text=RECOMMENDATIONS_STEP).click()
    expect(page.get_by_role("heading", level=2, name=RECOMMENDATIONS_STEP)).to_be_visible()
    page.get_by_role("button", name=named("Empfehlung entwerfen", "Personal")).click()
    item = page.locator(".rec-item").first
    expect(item).to_contain_text("Cluster „Personal“: 3 Nennungen")

    item.get_by_role("button", name=named("Bearbeiten", "Personal")).click()
    item.get_by_label("Empfehlung", exact=True).fill("Bis 2026 zehn zusätzliche Stellen im ASD schaffen.")
    item.get_by_label("Zuständigkeit").fill("Jugendamtsleitungen")
    item.get_by_label("Zeitrahmen").fill("2025–2026")
    item.get_by_label("Priorität").select_option(label="hoch")
    item.get_by_role("button", name="Speichern").click()
    expect(item).to_contain_text("Bis 2026 zehn zusätzliche Stellen im ASD schaffen.")
    page.locator("#step-controls").get_by_role("button", name="Öffnen").click()
    item.get_by_role("button", name=named("Konsens-Check öffnen", "Personal")).click()
    expect(item).to_contain_text("Check läuft")
    screenshot("01-recommendation-drafted")

    phone_context = browser.new_context(locale="de-DE", viewport={"width": 390, "height": 844})
    phone = phone_context.new_page()
    try:
        phone.goto(f"{live_server.url}/{forum.code}")
        expect(phone.get_by_role("heading", name="Personal")).to_be_visible()
        phone.get_by_text("Bedenken, bitte ändern").click()
        phone.get_by_label("Was müsste sich ändern").fill("Ohne Landesmittel nicht umsetzbar")
        phone.get_by_role("button", name="Senden").click()
        expect(phone.get_by_text("Gesendet ✓")).to_be_visible()
        screenshot("02-phone-consent", target=phone, full_page=False)

        expect(item).to_contain_text("Check läuft · Antworten: 1")
        item.get_by_role("button", name=named("Konsens-Check schließen", "Personal")).click()
        expect(item).to_contain_text("Kein Konsens")
        expect(item).to_contain_text("Ohne Landesmittel nicht umsetzbar")
        expect(phone.get_by_text("Kein Konsens")).to_be_visible()
        screenshot("03-consent-result")

        # By organisation: the one phone did not check in, a group of one, so it is not shown on its own.
        item.get_by_role("button", name=named("Aufschlüsselung laden", "Personal")).click()
        table = item.get_by_role("table", name="Konsens-Check „Personal“ nach Gruppen")
        expect(table.locator("tbody tr")).to_have_text(re.compile(r"Ohne Angabe\s*< 5\s*zu wenige Personen"))
        expect(table.locator(".breakdown-total")).to_contain_text("Alle")
        audit = Audit()
        audit.check(page, "console: consent breakdown")
        assert not audit.findings, audit.report()
        screenshot("04-consent-breakdown")
    finally:
        phone_context.close()

    projector = page.context.new_page()
    projector.set_viewport_size({"width": 1920, "height": 1080})
    projector.goto(f"{live_server.url}/{forum.code}/screen?key={forum.key()}")
    expect(projector.locator(".prec-topic")).to_have_text("Personal")
    expect(projector.locator(".consent-result")).to_contain_text("Ohne Landesmittel nicht umsetzbar")
    screenshot("05-projector-recommendation", target=projector, full_page=False)
