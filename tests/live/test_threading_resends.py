"""The threading async mode on the real server: the same command sent several times at once.

Under ``--async-mode threading`` every event runs in its own thread, so a phone's resends (an ack
timed out, the connection came back) reach the database truly at the same time, unlike under
eventlet and gevent. Each phone here fires every card several times without waiting for an ack;
afterwards each client id is stored exactly once, every copy was acked with that card, and the
server printed no traceback (``bench.forum_load --async-mode threading``, see docs/performance.md).
"""

import asyncio

import aiohttp
import pytest
import socketio
from liveforum import CARD_STEP, CONNECT_TIMEOUT, Forum

pytestmark = pytest.mark.server

PHONES = 100
CARDS = 3
COPIES = 4
COLUMNS = ["Erhalten", "Zurücklassen", "Neu gestalten"]


async def run_phone(
    forum: Forum, number: int, activity_id: int, joining: asyncio.Semaphore, start: asyncio.Event, connected: list
) -> dict[str, list]:
    acks: dict[str, list] = {}
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        client = socketio.AsyncClient(reconnection=False, http_session=http)
        async with joining:  # join a few at a time, as people arrive; then everyone writes at once
            async with http.get(f"{forum.server.url}/{forum.code}") as response:
                assert response.status == 200
            await client.connect(
                forum.server.url,
                auth={"screen": "phone", "code": forum.code},
                transports=["websocket"],
                wait_timeout=CONNECT_TIMEOUT,
            )
            connected.append(number)
            if len(connected) == PHONES:
                start.set()
        await start.wait()
        commands = [
            {
                "client_id": f"phone{number:03d}-card{j}",
                "activity_id": activity_id,
                "text": f"Karte {number}.{j}",
                "column": COLUMNS[j % 3],
            }
            for j in range(CARDS)
        ]
        sends = [(c, client.call("submit_card", c, timeout=30)) for c in commands for _ in range(COPIES)]
        results = await asyncio.gather(*(call for _c, call in sends), return_exceptions=True)
        for (command, _call), ack in zip(sends, results, strict=True):
            acks.setdefault(command["client_id"], []).append(ack)
        await client.disconnect()
    return acks


async def run_phones(forum: Forum, activity_id: int) -> dict[str, list]:
    joining, start, connected = asyncio.Semaphore(10), asyncio.Event(), []
    results = await asyncio.gather(
        *(run_phone(forum, n, activity_id, joining, start, connected) for n in range(PHONES))
    )
    return {cid: acks for phone in results for cid, acks in phone.items()}


def test_concurrent_resends_stored_once_without_tracebacks(forum_factory, screens):
    forum = forum_factory("threading")
    console = screens.console(forum)
    [step] = [a for a in console.snapshot["activities"] if a["title"] == CARD_STEP]
    console.command("change_workshop_state", {"state": "live"})
    console.command("open_activity", {"activity_id": step["id"]})

    acks = asyncio.run(run_phones(forum, step["id"]))

    output = forum.server.output()
    assert "Traceback" not in output, output[output.find("Traceback") :][:3000]
    rows = forum.query(
        "SELECT client_id, COUNT(*), MIN(id) FROM cards WHERE activity_id = ? GROUP BY client_id", step["id"]
    )
    stored = {cid: (n, card_id) for cid, n, card_id in rows}
    assert set(stored) == set(acks)
    assert all(n == 1 for n, _ in stored.values()), {cid: n for cid, (n, _) in stored.items() if n > 1}
    for cid, answers in acks.items():
        assert all(isinstance(a, dict) and a.get("ok") is True for a in answers), (cid, answers)
        assert {a["card"]["id"] for a in answers} == {stored[cid][1]}, cid
