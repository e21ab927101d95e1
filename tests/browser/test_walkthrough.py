"""The demo forum "Strategie 2025–2030" from start to end, as its users meet it.

Three browser contexts (moderator console 1440×900, projector 1920×1080, two real phones 390×844 in
German) and twenty more phones simulated by python-socketio clients on an asyncio loop in a thread of
their own (Playwright's sync API keeps an asyncio loop registered in the main thread). Every step is
saved as ``artifacts/screenshots/walkthrough-NN-*.png`` (the moderator guide uses some of them), and
axe-core checks every screen and state on the way; its findings are asserted at the end, in one report.

Keyboard-only on the way: a card written on a phone, cards approved and one rejected in the console, a
card moved between clusters with the "Verschieben nach …" menu, dots given on the phone; the focus must
be visible. One phone runs with ``prefers-reduced-motion: reduce`` (nothing animates) and is checked at
the width of a 390 px phone at 200 % zoom (195 CSS px: nothing cut off horizontally).
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading

import aiohttp
import socketio
from live.liveforum import Screen, log_in
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from serverproc import ROOT

from browser.a11y import Audit

TIMEOUT = 20_000
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHECKIN_STEP = "Wer ist heute dabei?"
INFO_STEP = "Stand und Ausblick"
CARD_STEP = "Erhalten – Zurücklassen – Neu gestalten"
BOARD_STEP = "Themen bilden"
VOTE_STEP = "Zukunftsthemen"
RECOMMENDATIONS_STEP = "Handlungsempfehlungen"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
SIMULATED = 20
#: What the simulated phones write: (column, text), two cards each.
SIMULATED_CARDS = [
    ("Erhalten", "Die Fallkonferenzen der Kinderschutzkoordination erhalten"),
    ("Neu gestalten", "Mehr Personal im ASD gewinnen"),
    ("Erhalten", "Den fachlichen Austausch zwischen den Jugendämtern erhalten"),
    ("Neu gestalten", "Personal im ASD aufstocken und halten"),
    ("Zurücklassen", "Doppelte Dokumentation auf Papier zurücklassen"),
    ("Neu gestalten", "Digitale Fallakte für alle Jugendämter"),
    ("Erhalten", "Die gemeinsamen Fortbildungen im Bündnis erhalten"),
    ("Neu gestalten", "Der ASD braucht mehr Personal"),
    ("Zurücklassen", "Papierakten zurücklassen"),
    ("Neu gestalten", "Die digitale Akte endlich einführen"),
    ("Erhalten", "Kollegiale Beratung in schwierigen Fällen erhalten"),
    ("Neu gestalten", "Schulen früher in den Kinderschutz einbeziehen"),
    ("Zurücklassen", "Einzelkämpfertum im Kinderschutz zurücklassen"),
    ("Neu gestalten", "Kooperation mit Schulen verbindlich regeln"),
    ("Erhalten", "Die Netzwerke Frühe Hilfen erhalten"),
    ("Neu gestalten", "Beteiligung von Kindern an Hilfeplänen stärken"),
    ("Zurücklassen", "Lange Wartezeiten auf Termine zurücklassen"),
    ("Neu gestalten", "Digitale Akte statt Papier"),
    ("Erhalten", "Die Fallkonferenzen erhalten"),
    ("Neu gestalten", "Kinder an Entscheidungen beteiligen"),
    ("Erhalten", "Die jährliche Fachtagung des Bündnisses erhalten"),
    ("Neu gestalten", "Fachkräfte mit Prämien im ländlichen Raum halten"),
    ("Zurücklassen", "Faxgeräte im Kinderschutz zurücklassen"),
    ("Neu gestalten", "Einarbeitung neuer ASD-Fachkräfte verbindlich regeln"),
    ("Erhalten", "Die Rufbereitschaft am Wochenende erhalten"),
    ("Neu gestalten", "Krisendienst rund um die Uhr einrichten"),
    ("Zurücklassen", "Zuständigkeitsstreit zwischen Ämtern zurücklassen"),
    ("Neu gestalten", "Gemeinsame Schutzkonzepte für Kitas entwickeln"),
    ("Erhalten", "Supervision für alle Fachkräfte erhalten"),
    ("Neu gestalten", "Sichere Videoberatung für Familien anbieten"),
    ("Zurücklassen", "Starre Formulare zurücklassen"),
    ("Neu gestalten", "Kinderschutz in der Ausbildung stärker verankern"),
    ("Erhalten", "Die Kinderschutzhotline erhalten"),
    ("Neu gestalten", "Mehr Zeit für Hausbesuche schaffen"),
    ("Zurücklassen", "Insellösungen bei der Software zurücklassen"),
    ("Neu gestalten", "Jugendliche im Bündnis mitreden lassen"),
    ("Erhalten", "Die Qualitätszirkel der Koordinatorinnen erhalten"),
    ("Neu gestalten", "Personalbemessung im ASD neu berechnen"),
    ("Zurücklassen", "Berichte, die niemand liest, zurücklassen"),
    ("Neu gestalten", "Gesundheitswesen enger an den Kinderschutz binden"),
]
REJECTED = "Frau Müller vom ASD Rostock anrufen: 0381 1234567"
PHONE_CARD = "Fallkonferenzen mit den Schulen fest einplanen"
SECOND_PHONE_CARD = "Nachwuchs früh an das Jugendamt binden"


def named(action: str, subject: str) -> re.Pattern:
    """A button's accessible name: the action, then what it acts on ("Freigeben: <card>", no space before the colon)."""
    return re.compile(rf"^{re.escape(action)}: {re.escape(subject)}$")


def shot(number: int, name: str, page: Page, *, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # The settled page: no button left in its hover colour by the last click (the mouse goes to a corner),
    # no focus ring or colour half-way through its transition.
    page.mouse.move(page.viewport_size["width"] - 1, page.viewport_size["height"] - 1)
    page.evaluate(
        """() => Promise.all(document.getAnimations()
            .filter((a) => a.effect && a.effect.getComputedTiming().endTime !== Infinity)
            .map((a) => a.finished.catch(() => null)))"""
    )
    page.screenshot(path=str(SCREENSHOTS / f"walkthrough-{number:02d}-{name}.png"), full_page=full_page)


def query(server, sql, *params):
    connection = sqlite3.connect(server.sqlite_path, timeout=10)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


class SimulatedPhones:
    """Phones as python-socketio ``AsyncClient``s on an asyncio loop in a thread of their own."""

    def __init__(self, server, code: str, count: int):
        self.server, self.code = server, code
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="simulated-phones", daemon=True)
        self.thread.start()
        self.sessions: list[aiohttp.ClientSession] = []
        self.clients: list[socketio.AsyncClient] = []
        self.run(self._join(count), timeout=90)

    def run(self, coroutine, timeout: float = 60):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def _join_one(self):
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.sessions.append(http)
        async with http.get(f"{self.server.url}/{self.code}") as response:
            assert response.status == 200
        client = socketio.AsyncClient(reconnection=False, http_session=http)
        await asyncio.wait_for(
            client.connect(
                self.server.url, auth={"screen": "phone", "code": self.code}, transports=["websocket"], wait_timeout=10
            ),
            15,
        )
        return client

    async def _join(self, count):
        self.clients = list(await asyncio.gather(*(self._join_one() for _ in range(count))))

    async def _each(self, commands):
        """``commands``: (client, event, payload) triples; every ack must be ok."""

        async def send(client, event, payload):
            for _ in range(20):
                ack = await client.call(event, payload, timeout=20)
                if ack.get("error") != "rate_limited":
                    break
                await asyncio.sleep(ack["retry_after"])
            assert ack.get("ok"), (event, payload, ack)
            return ack

        return await asyncio.gather(*(send(*command) for command in commands))

    def send(self, commands):
        return self.run(self._each(commands))

    async def _close(self):
        for client in self.clients:
            await client.disconnect()
        for http in self.sessions:
            await http.close()

    def close(self):
        try:
            self.run(self._close(), timeout=30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()


def tab_to(page: Page, locator) -> None:
    """Focus ``locator`` as a keyboard user gets there: Shift+Tab, Tab back (so :focus-visible applies)."""
    locator.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    expect(locator).to_be_focused()


def focus_is_visible(page: Page) -> bool:
    """The focused element shows an outline or a focus ring (box-shadow)."""
    return page.evaluate(
        """() => {
            const s = getComputedStyle(document.activeElement);
            const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
            return outline || (s.boxShadow && s.boxShadow !== 'none');
        }"""
    )


def assert_no_motion(page: Page, where: str) -> None:
    running = page.evaluate("document.getAnimations().filter((a) => a.playState === 'running').length")
    transitions = page.evaluate(
        """() => [...document.querySelectorAll('*')].filter((e) => {
            const s = getComputedStyle(e);
            return s.transitionDuration.split(',').some((d) => parseFloat(d) > 0)
                || s.animationName !== 'none';
        }).map((e) => e.tagName + '.' + e.className).slice(0, 5)"""
    )
    assert running == 0 and not transitions, f"motion with prefers-reduced-motion on {where}: {running} {transitions}"


def assert_nothing_cut_off(page: Page, where: str) -> None:
    width = page.evaluate("document.documentElement.clientWidth")
    overflow = page.evaluate(
        """(width) => [document.documentElement.scrollWidth,
            ...[...document.querySelectorAll('main *')].filter((e) => {
                const r = e.getBoundingClientRect();
                return r.width > 0 && (r.right > width + 1 || r.left < -1);
            }).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))
              .slice(0, 5)]""",
        width,
    )
    assert overflow[0] <= width and len(overflow) == 1, f"cut off at {width} px on {where}: {overflow}"
    # Text shortened to "…" (the header too, which is outside <main>).
    shortened = page.evaluate(
        """() => [...document.querySelectorAll('body *')].filter((e) =>
            getComputedStyle(e).textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth + 1
        ).map((e) => e.tagName + '.' + e.className + ': ' + e.textContent.trim().slice(0, 40))"""
    )
    assert not shortened, f"text cut off with „…“ at {width} px on {where}: {shortened}"


def test_the_demo_forum_from_start_to_end(browser: Browser, live_server, moderator):
    audit = Audit()
    server = live_server
    output = server.cli("load-demo", "--owner", moderator.email)
    code = re.search(r"join code ([A-Z0-9]{6})", output).group(1)
    [(workshop_id,)] = query(server, "SELECT id FROM workshops WHERE join_code = ?", code)
    contexts = []

    def context(**options):
        made = browser.new_context(locale="de-DE", **options)
        made.set_default_timeout(TIMEOUT)
        contexts.append(made)
        return made

    phones: SimulatedPhones | None = None
    helper: Screen | None = None
    expect.set_options(timeout=TIMEOUT)  # a loaded machine; set back below
    try:
        # 1. The moderator logs in and opens the demo workshop's console.
        console = context(viewport={"width": 1440, "height": 900}).new_page()
        console.goto(f"{server.url}/login")
        audit.check(console, "login")
        shot(1, "login", console)
        console.get_by_label("E-Mail-Adresse").fill(moderator.email)
        console.get_by_label("Passwort").fill(moderator.password)
        console.get_by_role("button", name="Anmelden").click()
        expect(console).to_have_url(re.compile(r"/workshops$"))
        audit.check(console, "workshops")
        console.get_by_role("link", name="Strategie 2025–2030").first.click()
        expect(console.get_by_role("link", name="Moderation öffnen")).to_be_visible()
        audit.check(console, "agenda")
        shot(2, "agenda", console, full_page=True)
        console.get_by_role("link", name="Moderation öffnen").click()
        expect(console.locator("#connection")).to_have_attribute("data-state", "online")
        console.get_by_role("button", name="Workshop starten").click()
        expect(console.locator("#workshop-state")).to_have_text(re.compile("Live|läuft", re.I))
        audit.check(console, "console: started")
        shot(3, "console-started", console)

        # The projector, opened from the console's link.
        projector_url = console.get_by_role("link", name=re.compile("^Projektor öffnen")).get_attribute("href")
        projector = context(viewport={"width": 1920, "height": 1080}).new_page()
        projector.goto(f"{server.url}{projector_url}" if projector_url.startswith("/") else projector_url)
        expect(projector.get_by_text(code).first).to_be_visible()
        audit.check(projector, "projector: welcome")
        shot(4, "projector-welcome", projector)

        # 2. Phones join by code: one types it on the start page, the other follows the link.
        phone = context(**PHONE).new_page()
        phone.goto(server.url)
        audit.check(phone, "start page")
        phone.get_by_label("Zugangscode").fill(code.lower())
        phone.get_by_label("Zugangscode").press("Enter")
        expect(phone.locator("#connection")).to_have_attribute("data-state", "online")
        audit.check(phone, "phone: welcome")
        shot(5, "phone-welcome", phone)
        calm = context(**PHONE, reduced_motion="reduce").new_page()
        calm.goto(f"{server.url}/{code}")
        expect(calm.locator("#connection")).to_have_attribute("data-state", "online")
        phones = SimulatedPhones(server, code, SIMULATED)
        expect(console.locator("#count-phones")).to_have_text(str(SIMULATED + 2), timeout=TIMEOUT)

        http = log_in(server, moderator.email, moderator.password)
        helper = Screen(type("F", (), {"server": server})(), {"screen": "console", "code": code}, http=http)
        steps = {a["title"]: a["id"] for a in helper.snapshot["activities"]}
        agenda = console.get_by_role("navigation", name="Ablauf")

        # 3. The info step on every screen.
        agenda.get_by_role("button", name=named("Zeigen", INFO_STEP)).click()
        expect(projector.locator("#step-title")).to_have_text(INFO_STEP)
        expect(phone.get_by_role("heading", name=INFO_STEP)).to_be_visible()
        audit.check(projector, "projector: info")
        audit.check(phone, "phone: info")
        shot(6, "projector-info", projector)

        # 4. Check-in: the real phones choose from the lists, the simulated ones send theirs.
        agenda.get_by_role("button", name=named("Öffnen", CHECKIN_STEP)).click()
        expect(phone.get_by_label("Organisation")).to_be_visible()
        audit.check(phone, "phone: check-in")
        phone.get_by_label("Organisation").select_option(label="Jugendamt Landkreis Rostock")
        phone.get_by_label("Rolle").select_option(index=2)
        shot(7, "phone-checkin", phone)
        phone.get_by_role("button", name="Speichern").click()
        expect(phone.get_by_text("Danke! Ihre Angaben sind gespeichert.")).to_be_visible()
        calm.get_by_label("Organisation").select_option(index=1)
        calm.get_by_role("button", name="Speichern").click()
        expect(calm.get_by_text("Danke! Ihre Angaben sind gespeichert.")).to_be_visible()
        [checkin] = [a for a in helper.snapshot["activities"] if a["id"] == steps[CHECKIN_STEP]]
        organisations, roles = checkin["config"]["organisations"], checkin["config"]["roles"]
        phones.send(
            [
                (
                    client,
                    "check_in",
                    {
                        "client_id": f"walkthrough-checkin-{n}",
                        "activity_id": steps[CHECKIN_STEP],
                        "organisation": organisations[n % len(organisations)],
                        "role": roles[n % len(roles)],
                    },
                )
                for n, client in enumerate(phones.clients)
            ]
        )
        expect(console.locator("#count-checked-in")).to_have_text(str(SIMULATED + 2))
        audit.check(console, "console: check-in")
        shot(8, "console-checkin", console)
        agenda.get_by_role("button", name=named("Schließen", CHECKIN_STEP)).click()

        # 5. Cards in the three columns; on the first phone by keyboard only.
        agenda.get_by_role("button", name=named("Öffnen", CARD_STEP)).click()
        expect(phone.get_by_label("Ihre Karte")).to_be_visible()
        audit.check(phone, "phone: card form")
        tab_to(phone, phone.locator("#column-0"))
        phone.keyboard.press("ArrowRight")  # the radio group: "Zurücklassen"
        expect(phone.locator("#column-1")).to_be_checked()
        phone.keyboard.press("ArrowRight")  # "Neu gestalten"
        assert focus_is_visible(phone), "no visible focus on the column choice"
        phone.keyboard.press("Tab")
        expect(phone.get_by_label("Ihre Karte")).to_be_focused()
        phone.keyboard.type(PHONE_CARD)
        phone.keyboard.press("Tab")
        expect(phone.get_by_role("button", name="Senden")).to_be_focused()
        assert focus_is_visible(phone), "no visible focus on „Senden“"
        shot(9, "phone-card-by-keyboard", phone)
        phone.keyboard.press("Enter")
        mine = phone.locator(".own-card", has_text=PHONE_CARD)
        expect(mine).to_contain_text("Gesendet ✓")
        expect(mine).to_contain_text("wartet auf Freigabe")
        audit.check(phone, "phone: card sent")
        for action in ("Ändern", "Zurückziehen"):  # what the button acts on, read without a space before ":"
            expect(mine.get_by_role("button", name=f"{action}: {PHONE_CARD}", exact=True)).to_be_visible()
        shot(10, "phone-card-sent", phone)
        calm.locator("label[for=column-0]").click()
        calm.get_by_label("Ihre Karte").fill(SECOND_PHONE_CARD)
        calm.get_by_role("button", name="Senden").click()
        expect(calm.locator(".own-card", has_text=SECOND_PHONE_CARD)).to_contain_text("Gesendet ✓")
        assert_no_motion(calm, "phone: card sent")

        commands = []
        for n, client in enumerate(phones.clients):
            for j in range(2):
                column, text = SIMULATED_CARDS[(2 * n + j) % len(SIMULATED_CARDS)]
                commands.append(
                    (
                        client,
                        "submit_card",
                        {
                            "client_id": f"walkthrough-card-{n}-{j}",
                            "activity_id": steps[CARD_STEP],
                            "text": text,
                            "column": column,
                        },
                    )
                )
        commands.append(
            (
                phones.clients[0],
                "submit_card",
                {
                    "client_id": "walkthrough-card-pii",
                    "activity_id": steps[CARD_STEP],
                    "text": REJECTED,
                    "column": "Neu gestalten",
                },
            )
        )
        acks = phones.send(commands)

        # 6. Moderation: by keyboard in the console (approve two, reject one with a reason), the rest
        #    approved over the moderator's socket, as a second moderator would.
        expect(console.locator("#step-title")).to_have_text(CARD_STEP)
        for text in (PHONE_CARD, SECOND_PHONE_CARD):
            approve = console.get_by_role("button", name=named("Freigeben", text))
            tab_to(console, approve)
            assert focus_is_visible(console), "no visible focus on „Freigeben“"
            console.keyboard.press("Enter")
            expect(console.get_by_role("button", name=named("Freigeben", text))).to_have_count(0)
        reject = console.get_by_role("button", name=named("Ablehnen", REJECTED))
        tab_to(console, reject)
        console.keyboard.press("Enter")
        reason = console.get_by_label("Grund für die Ablehnung")
        expect(reason).to_be_focused()
        console.keyboard.type("Enthält personenbezogene Daten – bitte ohne Namen oder Kontaktdaten.")
        audit.check(console, "console: reject form")
        shot(11, "console-reject", console)
        console.keyboard.press("Enter")
        expect(console.locator("#announce")).to_contain_text("Karte abgelehnt")
        for ack in acks[:-1]:
            helper.command("approve_card", {"card_id": ack["card"]["id"]})
        expect(mine).to_contain_text("freigegeben")
        audit.check(console, "console: moderated")
        console.evaluate("window.scrollTo(0, 0)")  # the step and its columns, not the middle of the list
        shot(12, "console-moderation", console)

        # 7. Reveal: the wall on the projector.
        console.get_by_label("Antworten auf der Leinwand aufdecken").check()
        expect(projector.locator(".wall-card-text", has_text=PHONE_CARD)).to_have_count(1)
        expect(projector.get_by_text(REJECTED)).to_have_count(0)
        audit.check(projector, "projector: card wall")
        shot(13, "projector-wall", projector)
        agenda.get_by_role("button", name=named("Schließen", CARD_STEP)).click()
        expect(phone.get_by_text("Dieser Schritt ist geschlossen.")).to_be_visible()

        # 8. Clustering: suggestions, one accepted; a card moved by keyboard.
        console.locator(".agenda-select", has_text=BOARD_STEP).click()
        console.locator("#step-controls").get_by_role("button", name="Zeigen").click()
        expect(projector.locator("#step-title")).to_have_text(BOARD_STEP)
        # The first view of the board embeds its cards (the e5 model) in a background task, which under
        # eventlet holds the server for seconds on a loaded machine: the console may time out once
        # ("Der Server antwortet nicht") and shows the board when the step is chosen again.
        suggest = console.get_by_role("button", name="Vorschläge machen")
        for _ in range(4):
            try:
                suggest.wait_for(timeout=30_000)
                break
            except PlaywrightTimeoutError:
                console.locator(".agenda-select", has_text=VOTE_STEP).click()
                console.locator(".agenda-select", has_text=BOARD_STEP).click()
        suggest.click()
        suggestions = console.locator(".suggestion")
        expect(suggestions.first).to_be_visible(timeout=60_000)
        audit.check(console, "console: suggestions")
        shot(14, "console-suggestions", console)
        first = suggestions.filter(has_text="Personal").first
        first.get_by_label("Name des Clusters").fill("Personal gewinnen und halten")
        first.get_by_role("button", name=re.compile("^Vorschlag übernehmen")).click()
        personal = console.locator(".board-column").filter(
            has=console.locator(".board-column-title", has_text="Personal gewinnen und halten")
        )
        expect(personal.locator(".board-card").first).to_be_visible()
        console.get_by_label("Neues Cluster").fill("Kooperation mit Schulen")
        console.get_by_role("button", name="Anlegen", exact=True).click()
        school = console.locator(".board-column").filter(
            has=console.locator(".board-column-title", has_text="Kooperation mit Schulen")
        )
        expect(school).to_be_visible()
        move = console.get_by_label(f"Verschieben nach …: {PHONE_CARD}")
        tab_to(console, move)
        assert focus_is_visible(console), "no visible focus on „Verschieben nach …“"
        move.select_option(label="Kooperation mit Schulen")
        expect(school.locator(".board-card", has_text=PHONE_CARD)).to_be_visible()
        expect(console.get_by_label(f"Verschieben nach …: {PHONE_CARD}")).to_be_focused()
        expect(console.locator("#announce")).to_contain_text("Kooperation mit Schulen")
        audit.check(console, "console: board")
        shot(15, "console-board", console)
        expect(projector.locator(".pcluster", has_text="Personal gewinnen und halten")).to_be_visible()
        audit.check(projector, "projector: board")
        shot(16, "projector-board", projector)

        # 9. Dot voting on the Zukunftsthemen: a phone by keyboard, the others over the socket.
        agenda.get_by_role("button", name=re.compile(f"^Öffnen.*{VOTE_STEP}")).click()
        expect(phone.locator("#vote-budget")).to_have_text("Noch 3 von 3 Punkten")
        audit.check(phone, "phone: ballot")
        for label in ("Krisenmanagement", "Personalsituation", "Kinderschutzkoordination"):
            tab_to(phone, phone.locator(".vote-toggle").filter(has_text=label))
            phone.keyboard.press("Space")
        expect(phone.locator("#vote-budget")).to_have_text(re.compile("Alle 3 Punkte verteilt|Noch 0 von 3 Punkten"))
        shot(17, "phone-dots", phone)
        tab_to(phone, phone.get_by_role("button", name="Stimme abgeben"))
        phone.keyboard.press("Enter")
        expect(phone.locator("#vote-status")).to_have_text("Ihre Stimme ist gespeichert ✓")
        audit.check(phone, "phone: ballot sent")
        for label in ("Personalsituation", "Beteiligung von Kindern", "Schutzkonzepte"):
            calm.locator(".vote-toggle").filter(has_text=label).click()
        calm.get_by_role("button", name="Stimme abgeben").click()
        expect(calm.locator("#vote-status")).to_have_text("Ihre Stimme ist gespeichert ✓")
        assert_no_motion(calm, "phone: ballot")
        calm.set_viewport_size({"width": 195, "height": 422})  # 390 px at 200 % zoom
        assert_nothing_cut_off(calm, "phone: ballot at 200 %")
        shot(18, "phone-200-percent", calm)
        calm.set_viewport_size(PHONE["viewport"])
        options = [
            oid
            for (oid,) in query(
                server, "SELECT id FROM options WHERE activity_id = ? ORDER BY position", steps[VOTE_STEP]
            )
        ]
        phones.send(
            [
                (
                    client,
                    "cast_votes",
                    {
                        "client_id": f"walkthrough-vote-{n}",
                        "activity_id": steps[VOTE_STEP],
                        "entries": [{"option_id": options[(n + k * 3) % len(options)], "value": 1} for k in range(3)],
                    },
                )
                for n, client in enumerate(phones.clients)
            ]
        )
        expect(projector.locator("#vote-screen-count-value")).to_have_text(str(SIMULATED + 2))
        console.get_by_label("Antworten auf der Leinwand aufdecken").check()
        expect(projector.locator("#vote-screen-chart")).to_be_visible()
        projector.wait_for_function("() => document.getElementById('vote-screen-chart').naturalWidth > 0")
        audit.check(projector, "projector: vote results")
        shot(19, "projector-vote-results", projector)
        audit.check(console, "console: vote results")
        shot(20, "console-vote-results", console)
        agenda.get_by_role("button", name=named("Schließen", VOTE_STEP)).click()

        # 10. A recommendation from the cluster, with a consent check.
        console.locator(".agenda-select", has_text=RECOMMENDATIONS_STEP).click()
        expect(console.get_by_role("heading", level=2, name=RECOMMENDATIONS_STEP)).to_be_visible()
        console.get_by_role("button", name=named("Empfehlung entwerfen", "Personal gewinnen und halten")).click()
        item = console.locator(".rec-item").first
        item.get_by_role("button", name=re.compile("^Bearbeiten")).click()
        item.get_by_label("Empfehlung", exact=True).fill(
            "Bis 2027 ein gemeinsames Programm zur Gewinnung und Bindung von ASD-Fachkräften auflegen."
        )
        item.get_by_label("Zuständigkeit").fill("AG Personal des Bündnisses")
        item.get_by_label("Zeitrahmen").fill("2025–2027")
        item.get_by_label("Priorität").select_option(label="hoch")
        item.get_by_role("button", name="Speichern").click()
        expect(item).to_contain_text("ASD-Fachkräften")
        console.locator("#step-controls").get_by_role("button", name="Zeigen").click()
        console.locator("#step-controls").get_by_role("button", name="Öffnen").click()
        item.get_by_role("button", name=re.compile("^Konsens-Check öffnen")).click()
        expect(item).to_contain_text("Check läuft")
        audit.check(console, "console: recommendation")
        shot(21, "console-recommendation", console)
        expect(phone.get_by_text("volle Zustimmung")).to_be_visible()
        audit.check(phone, "phone: consent")
        phone.get_by_text("gute Lösung").click()
        shot(22, "phone-consent", phone)
        phone.get_by_role("button", name="Senden").click()
        expect(phone.get_by_text("Gesendet ✓")).to_be_visible()
        calm.get_by_text("volle Zustimmung").click()
        calm.get_by_role("button", name="Senden").click()
        expect(calm.get_by_text("Gesendet ✓")).to_be_visible()
        [(recommendation_id,)] = query(
            server, "SELECT id FROM recommendations WHERE activity_id = ?", steps[RECOMMENDATIONS_STEP]
        )
        phones.send(
            [
                (
                    client,
                    "cast_consent",
                    {
                        "client_id": f"walkthrough-consent-{n}",
                        "recommendation_id": recommendation_id,
                        "fingers": 2 if n == 0 else 3 + n % 3,
                        "dissent": "Ohne Landesmittel nicht umsetzbar" if n == 0 else "",
                    },
                )
                for n, client in enumerate(phones.clients)
            ]
        )
        expect(item).to_contain_text(f"Antworten: {SIMULATED + 2}")
        item.get_by_role("button", name=re.compile("^Konsens-Check schließen")).click()
        expect(item).to_contain_text("Ohne Landesmittel nicht umsetzbar")
        expect(projector.locator(".consent-result")).to_be_visible()
        audit.check(projector, "projector: consent result")
        shot(23, "projector-recommendation", projector)
        audit.check(console, "console: consent result")

        # 11. The end of the workshop.
        console.once("dialog", lambda dialog: dialog.accept())
        console.get_by_role("button", name="Workshop beenden").click()
        expect(phone.get_by_text("Der Workshop ist beendet.")).to_be_visible()
        audit.check(phone, "phone: ended")
        shot(24, "phone-ended", phone)

        # 12. The organiser downloads the Dokumentation and the data.
        console.goto(f"{server.url}/workshops/{workshop_id}/results")
        expect(console.get_by_role("heading", name="Herunterladen")).to_be_visible()
        audit.check(console, "results")
        shot(25, "results", console)
        downloads = ROOT / "artifacts" / "downloads"
        downloads.mkdir(parents=True, exist_ok=True)
        for name, magic in (
            ("Dokumentation (PDF)", b"%PDF"),
            ("Dokumentation zum Bearbeiten (Word)", b"PK"),
            ("Daten (Excel)", b"PK"),
        ):
            # The PDF takes a while: a child process imports the app and WeasyPrint first, which on a
            # machine under heavy load (load average in the hundreds) took more than 90 s.
            with console.expect_download(timeout=240_000) as info:
                console.get_by_role("link", name=name).click(timeout=240_000)
            target = downloads / f"walkthrough-{info.value.suggested_filename}"
            info.value.save_as(target)
            assert target.read_bytes()[:4].startswith(magic), f"{name}: not a {magic!r} file"
    except BaseException:
        for number, made in enumerate(contexts):
            for page in made.pages:
                shot(90 + number, "FAILED", page, full_page=True)
        raise
    finally:
        expect.set_options(timeout=5_000)
        if helper is not None:
            helper.close()
        if phones is not None:
            phones.close()
        for made in contexts:
            made.close()

    audit.save(ROOT / "artifacts" / "axe-walkthrough.txt")
    assert not audit.findings, audit.report()
    # Moderate and minor findings too: the last ones (roles on the board's columns, the projector's
    # heading order) are fixed, keep it that way.
    assert not audit.minor, audit.report()
