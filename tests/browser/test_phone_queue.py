"""The phone's offline queue with the voting module loaded on demand (static/js/phone.js).

A ballot the phone queued before a reload (the venue's Wi-Fi dropped, the page was reloaded) is sent
again after the reconnect and shown as saved, even when the voting module arrives only after the
server's answer: the answer waits for the module instead of being lost.
"""

import json
import re
import sqlite3
import time

import pytest
from live.liveforum import Screen, log_in
from playwright.sync_api import Browser, Route, expect

pytestmark = pytest.mark.browser

VOTE_STEP = "Zukunftsthemen"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
TIMEOUT = 20_000


def query(server, sql, *params):
    connection = sqlite3.connect(server.sqlite_path, timeout=10)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def test_a_ballot_queued_before_a_reload_is_sent_and_shown_once_the_voting_module_is_there(
    browser: Browser, live_server, moderator
):
    output = live_server.cli("load-demo", "--owner", moderator.email)
    code = re.search(r"join code ([A-Z0-9]{6})", output).group(1)
    forum = type("F", (), {"server": live_server})()
    helper = Screen(forum, {"screen": "console", "code": code}, http=log_in(live_server))
    context = browser.new_context(locale="de-DE", **PHONE)
    context.set_default_timeout(TIMEOUT)
    try:
        step = next(a["id"] for a in helper.snapshot["activities"] if a["title"] == VOTE_STEP)
        helper.command("change_workshop_state", {"state": "live"})
        helper.command("open_activity", {"activity_id": step})
        phone = context.new_page()
        phone.goto(f"{live_server.url}/{code}")
        expect(phone.locator("#vote-budget")).to_have_text("Noch 3 von 3 Punkten", timeout=TIMEOUT)
        # The topics exist once the step's ballot is on a phone.
        options = [oid for (oid,) in query(live_server, "SELECT id FROM options WHERE activity_id = ?", step)][:3]
        assert len(options) == 3

        # The ballot waits in the queue (as when the phone was offline), then the page is reloaded.
        item = {
            "event": "cast_votes",
            "payload": {
                "client_id": "queued-before-reload",
                "activity_id": step,
                "entries": [{"option_id": oid, "value": 1} for oid in options],
            },
            "meta": {},
        }
        phone.evaluate(
            "([key, items]) => localStorage.setItem(key, items)", [f"facilitation:queue:{code}", json.dumps([item])]
        )

        # The voting module comes late: the server's answer to the queued ballot arrives before it.
        def late(route: Route) -> None:
            time.sleep(1.5)
            route.continue_()

        phone.route(re.compile(r"/static/js/kinds/vote\.js"), late)
        phone.reload()

        expect(phone.locator("#vote-status")).to_have_text("Ihre Stimme ist gespeichert ✓", timeout=TIMEOUT)
        expect(phone.locator("#vote-budget")).to_have_text(re.compile("Alle 3 Punkte verteilt|Noch 0 von 3 Punkten"))
        assert phone.evaluate(f"localStorage.getItem('facilitation:queue:{code}')") == "[]"
        entries = query(
            live_server,
            "SELECT e.option_id FROM ballot_entries e JOIN ballots b ON b.id = e.ballot_id WHERE b.activity_id = ?",
            step,
        )
        assert sorted(oid for (oid,) in entries) == sorted(options)
    finally:
        context.close()
        helper.close()


def test_a_voting_module_that_failed_to_load_is_fetched_again(browser: Browser, live_server, moderator):
    """The Wi-Fi drops just as the phone fetches the voting module: it says "Wird geladen …" and tries again
    (under another URL: some browsers keep a failed import for its URL), and the ballot appears."""
    output = live_server.cli("load-demo", "--owner", moderator.email)
    code = re.search(r"join code ([A-Z0-9]{6})", output).group(1)
    forum = type("F", (), {"server": live_server})()
    helper = Screen(forum, {"screen": "console", "code": code}, http=log_in(live_server))
    context = browser.new_context(locale="de-DE", **PHONE)
    context.set_default_timeout(TIMEOUT)
    try:
        step = next(a["id"] for a in helper.snapshot["activities"] if a["title"] == VOTE_STEP)
        helper.command("change_workshop_state", {"state": "live"})
        helper.command("open_activity", {"activity_id": step})
        requests = []

        def first_fails(route: Route) -> None:
            requests.append(route.request.url)
            if len(requests) == 1:
                route.abort("internetdisconnected")
            else:
                route.continue_()

        phone = context.new_page()
        phone.route(re.compile(r"/static/js/kinds/vote\.js"), first_fails)
        phone.goto(f"{live_server.url}/{code}")
        expect(phone.locator("#vote-budget")).to_have_text("Noch 3 von 3 Punkten", timeout=TIMEOUT)
        assert len(requests) >= 2 and "retry=" in requests[-1], requests
        # Its stylesheet is there too: the topics are drawn as toggles, not as bare buttons.
        assert phone.locator(".vote-toggle").first.evaluate("(e) => getComputedStyle(e).display") == "flex"
    finally:
        context.close()
        helper.close()
