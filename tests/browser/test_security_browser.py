"""In the real browser: the strict CSP holds on every screen, card text is only ever text, and no page
asks any host but ours.

Every page is watched for ``securitypolicyviolation`` events and CSP console errors, and for any
request that leaves our origin.
"""

import re
import sqlite3

import pytest
import requests
import socketio
from playwright.sync_api import BrowserContext, Page, expect

#: What people might type into a card; each must show up literally and run nothing.
PAYLOADS = [
    '<img src=x onerror="window.__xss=1">',
    "<script>window.__xss=2</script>",
    "**fett** [Link](javascript:window.__xss=3) # Titel",
    '<style>body{display:none}</style><b style="color:red">rot</b>',
    "{{7*7}} ${7*7} <svg onload=window.__xss=4>",
]

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


class Watcher:
    """Collects CSP violations, CSP console errors and foreign requests of every page of a context."""

    def __init__(self, context: BrowserContext, origin: str):
        self.origin = origin
        self.console: list[str] = []
        self.foreign: list[str] = []
        self.pages: list[Page] = []
        context.add_init_script(WATCH)
        context.on("request", self._request)
        context.on("page", self._page)

    def _page(self, page: Page) -> None:
        self.pages.append(page)
        page.on("console", self._message)

    def _message(self, message) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.console.append(message.text)

    def _request(self, request) -> None:
        if not request.url.startswith((self.origin + "/", "data:", "blob:")):
            self.foreign.append(request.url)

    def check(self) -> None:
        violations = [v for page in self.pages if not page.is_closed() for v in page.evaluate("window.__violations")]
        assert not violations, violations
        assert not self.console, self.console
        assert not self.foreign, self.foreign


@pytest.fixture
def forum(live_server, moderator):
    """A fresh demo workshop, live, with its card step open; returns (code, key, console client)."""
    output = live_server.cli("load-demo", "--owner", moderator.email)
    code = re.search(r"join code ([A-Z0-9]{6})", output).group(1)
    connection = sqlite3.connect(live_server.sqlite_path)
    try:
        [(workshop_id, key)] = connection.execute(
            "SELECT id, screen_key FROM workshops WHERE join_code = ?", (code,)
        ).fetchall()
    finally:
        connection.close()
    http = requests.Session()
    page = http.get(f"{live_server.url}/login", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    http.post(
        f"{live_server.url}/login",
        data={"email": moderator.email, "password": moderator.password, "csrf_token": token},
        timeout=10,
    )
    console = socketio.Client(reconnection=False, http_session=http)
    console.connect(
        live_server.url, auth={"screen": "console", "code": code}, transports=["websocket"], wait_timeout=10
    )
    snapshot = console.call("request_snapshot", {}, timeout=10)["snapshot"]
    [step] = [a for a in snapshot["activities"] if a["title"] == "Erhalten – Zurücklassen – Neu gestalten"]
    assert console.call("change_workshop_state", {"state": "live"}, timeout=10)["ok"]
    assert console.call("open_activity", {"activity_id": step["id"]}, timeout=10)["ok"]
    yield {"id": workshop_id, "code": code, "key": key, "step": step, "console": console}
    console.disconnect()


def test_card_text_is_text_on_phone_projector_and_console(browser, live_server, forum, login_as):
    origin = live_server.url
    phone_context = browser.new_context(locale="de-DE", viewport={"width": 390, "height": 844})
    phone_watch = Watcher(phone_context, origin)
    phone = phone_context.new_page()
    phone.goto(f"{origin}/{forum['code']}")
    for number, payload in enumerate(PAYLOADS):
        phone.locator(f"label[for='column-{number % 3}']").click()  # at most 3 cards per column
        phone.locator("#card-text").fill(payload)
        phone.get_by_role("button", name="Senden").click()
        expect(phone.locator("#step")).to_contain_text(payload)
    expect(phone.get_by_text("Gesendet ✓")).to_have_count(len(PAYLOADS))  # every card acked

    console = forum["console"]
    cards = console.call("load_activity", {"activity_id": forum["step"]["id"]}, timeout=10)["view"]["cards"]
    assert sorted(card["text"] for card in cards) == sorted(PAYLOADS), "stored exactly as typed"
    for card in cards:
        assert console.call("approve_card", {"card_id": card["id"]}, timeout=10)["ok"]
    assert console.call("reveal_activity", {"activity_id": forum["step"]["id"]}, timeout=10)["ok"]

    screen_context = browser.new_context(locale="de-DE", viewport={"width": 1920, "height": 1080})
    screen_watch = Watcher(screen_context, origin)
    projector = screen_context.new_page()
    projector.goto(f"{origin}/{forum['code']}/screen?key={forum['key']}")
    for payload in PAYLOADS:
        expect(projector.locator(".wall-card").filter(has_text=payload).first).to_be_attached()

    moderator_context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    moderator_watch = Watcher(moderator_context, origin)
    moderation = moderator_context.new_page()
    login_as(moderation)
    moderation.goto(f"{origin}/workshops/{forum['id']}/console")
    for payload in PAYLOADS:
        expect(moderation.locator("main")).to_contain_text(payload)

    for page in (phone, projector, moderation):
        assert page.evaluate("window.__xss") is None, "a card ran code"
        assert page.locator("img[src='x'], svg[onload], b[style]").count() == 0
        assert page.evaluate("[...document.scripts].every((s) => s.src || s.type === 'application/json')")
        expect(page.locator("body")).to_be_visible()
    for watch in (phone_watch, screen_watch, moderator_watch):
        watch.check()
    for context in (phone_context, screen_context, moderator_context):
        context.close()


def test_every_screen_keeps_the_policy_and_stays_on_our_origin(browser, live_server, forum, login_as):
    origin = live_server.url
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    watch = Watcher(context, origin)
    page = context.new_page()
    for path in ("/", "/login", "/nicht/da", f"/{forum['code']}", f"/{forum['code']}/screen?key={forum['key']}"):
        response = page.goto(origin + path)
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        page.wait_for_load_state("networkidle")
    login_as(page)
    workshop = forum["id"]
    for path in (
        "/workshops",
        "/workshops/new",
        f"/workshops/{workshop}",
        f"/workshops/{workshop}/settings",
        f"/workshops/{workshop}/members",
        f"/workshops/{workshop}/audit",
        f"/workshops/{workshop}/steps/new/cards",
        f"/workshops/{workshop}/console",
    ):
        page.goto(origin + path)
        page.wait_for_load_state("networkidle")
    watch.check()
    # The watcher does see a violation: an inline style is refused and reported.
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    page.wait_for_function("window.__violations.length > 0")
    assert "style-src" in page.evaluate("window.__violations[0]")
    context.close()
