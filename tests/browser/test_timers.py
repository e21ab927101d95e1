"""Timers in a real browser: set and extended in the console, counted down right on screens whose clock is wrong.

A phone whose clock runs 30 minutes ahead and a projector 30 minutes behind (their ``Date.now()``
shifted by an init script) must show the same remaining time as the console: they count on the
server's clock, from the ``server_time`` in the timer payload (docs/protocol.md). The timer runs for an
hour, so the figures below hold however slowly the machine runs the test (up to a minute), while a
screen that counted on its own clock would be half an hour off.
"""

import re
import sqlite3

import pytest
from live.liveforum import Screen, log_in
from playwright.sync_api import Browser, expect
from serverproc import ROOT

pytestmark = pytest.mark.browser

CARD_STEP = "Erhalten – Zurücklassen – Neu gestalten"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
TIMEOUT = 20_000
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
#: 60:00 … 59:00: an hour's timer, shown within a minute of its start.
AN_HOUR = r"(60:00|59:[0-5]\d)"
#: 61:00 … 60:00: the same after "+1 Minute".
AN_HOUR_AND_A_MINUTE = r"(61:00|60:[0-5]\d)"


def clock_off_by(minutes: int) -> str:
    """An init script: this page's clock is ``minutes`` off (as a phone set by hand)."""
    return f"(() => {{ const now = Date.now; Date.now = () => now.call(Date) + {minutes * 60_000}; }})();"


def test_a_timer_set_and_extended_in_the_console_counts_down_right_on_screens_with_wrong_clocks(
    browser: Browser, live_server, moderator, login_as
):
    output = live_server.cli("load-demo", "--owner", moderator.email)
    code = re.search(r"join code ([A-Z0-9]{6})", output).group(1)
    connection = sqlite3.connect(live_server.sqlite_path, timeout=10)
    try:
        [(workshop_id, key)] = connection.execute(
            "SELECT id, screen_key FROM workshops WHERE join_code = ?", (code,)
        ).fetchall()
    finally:
        connection.close()
    forum = type("F", (), {"server": live_server})()
    helper = Screen(forum, {"screen": "console", "code": code}, http=log_in(live_server))
    contexts = []
    try:
        step = next(a["id"] for a in helper.snapshot["activities"] if a["title"] == CARD_STEP)
        helper.command("change_workshop_state", {"state": "live"})
        helper.command("open_activity", {"activity_id": step})

        console_context = browser.new_context(locale="de-DE", viewport={"width": 1440, "height": 900})
        phone_context = browser.new_context(locale="de-DE", **PHONE)
        projector_context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 720})
        contexts += [console_context, phone_context, projector_context]
        phone_context.add_init_script(clock_off_by(+30))
        projector_context.add_init_script(clock_off_by(-30))
        for made in contexts:
            made.set_default_timeout(TIMEOUT)

        console = console_context.new_page()
        login_as(console)
        console.goto(f"{live_server.url}/workshops/{workshop_id}/console")
        expect(console.locator("#connection")).to_have_attribute("data-state", "online", timeout=TIMEOUT)
        phone = phone_context.new_page()
        phone.goto(f"{live_server.url}/{code}")
        expect(phone.get_by_label("Ihre Karte")).to_be_visible(timeout=TIMEOUT)
        assert phone.evaluate("Date.now() - new Date().getTime()") > 29 * 60_000, "the phone's clock is not off"
        projector = projector_context.new_page()
        projector.goto(f"{live_server.url}/{code}/screen?key={key}")
        expect(projector.locator("#step-title")).to_have_text(CARD_STEP, timeout=TIMEOUT)

        # The moderator starts an hour's timer on the step.
        console.locator(".agenda-select", has_text=CARD_STEP).click()
        console.get_by_role("spinbutton", name="Eigene Dauer in Minuten", exact=True).fill("60")
        console.get_by_role("button", name="Starten: Eigene Dauer in Minuten").click()
        expect(console.locator("#timer-value")).to_have_text(re.compile(AN_HOUR), timeout=TIMEOUT)
        expect(phone.locator("#timer")).to_have_text(re.compile(f"^Verbleibende Zeit: {AN_HOUR}$"), timeout=TIMEOUT)
        expect(projector.locator("#timer-value")).to_have_text(re.compile(f"^{AN_HOUR}$"), timeout=TIMEOUT)

        # … and extends it by a minute, by keyboard.
        extend = console.get_by_role("button", name="+1 Minute")
        extend.focus()
        console.keyboard.press("Enter")
        expect(console.locator("#timer-value")).to_have_text(re.compile(AN_HOUR_AND_A_MINUTE), timeout=TIMEOUT)
        expect(phone.locator("#timer")).to_have_text(
            re.compile(f"^Verbleibende Zeit: {AN_HOUR_AND_A_MINUTE}$"), timeout=TIMEOUT
        )
        expect(projector.locator("#timer-value")).to_have_text(re.compile(f"^{AN_HOUR_AND_A_MINUTE}$"), timeout=TIMEOUT)

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for name, page in (("console", console), ("phone", phone), ("projector", projector)):
            page.screenshot(path=str(SCREENSHOTS / f"timers--{name}.png"))

        # A phone that joins later (its first timer comes in the snapshot) counts right too.
        late = phone_context.new_page()
        late.goto(f"{live_server.url}/{code}")
        expect(late.locator("#timer")).to_have_text(
            re.compile(f"^Verbleibende Zeit: {AN_HOUR_AND_A_MINUTE}$"), timeout=TIMEOUT
        )
    finally:
        for made in contexts:
            made.close()
        helper.close()
