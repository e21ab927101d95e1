"""Oversized and malformed messages on the real server: refused, and the server carries on."""

import asyncio

import aiohttp
import pytest
import socketio
from liveforum import CARD_STEP, CONNECT_TIMEOUT

pytestmark = pytest.mark.server


async def phone(forum, http):
    async with http.get(f"{forum.server.url}/{forum.code}") as response:
        assert response.status == 200
    client = socketio.AsyncClient(reconnection=False, http_session=http)
    await asyncio.wait_for(
        client.connect(
            forum.server.url,
            auth={"screen": "phone", "code": forum.code},
            transports=["websocket"],
            wait_timeout=CONNECT_TIMEOUT,
        ),
        CONNECT_TIMEOUT + 5,
    )
    return client


def test_huge_and_malformed_messages(forum_factory, screens):
    forum = forum_factory("eventlet")
    console = screens.console(forum)
    [step] = [a for a in console.snapshot["activities"] if a["title"] == CARD_STEP]
    console.command("change_workshop_state", {"state": "live"})
    console.command("open_activity", {"activity_id": step["id"]})
    card = {"client_id": "huge-00001", "activity_id": step["id"], "column": "Erhalten"}

    async def scenario():
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            client = await phone(forum, http)
            # Under the 64 KiB message limit but over the schema's 2,000 characters: an error ack.
            ack = await client.call("submit_card", {**card, "text": "x" * 60_000}, timeout=10)
            assert ack["error"] == "invalid" and ack["fields"] == {"text": "string_too_long"}, ack
            ack = await client.call("submit_card", {**card, "text": "\x00\u202e" * 10}, timeout=10)
            assert ack["error"] == "empty", ack
            ack = await client.call("no_such_command", [1, 2, 3], timeout=10)
            assert ack["error"] == "unknown", ack
            # Over the limit: the server drops the message's connection and nothing is stored.
            await client.emit("submit_card", {**card, "text": "x" * 100_000})
            for _ in range(100):
                if not client.connected:
                    break
                await asyncio.sleep(0.05)
            assert not client.connected, "a message over 64 KiB closes the connection"
            await client.shutdown()
            # The same phone comes back and works.
            client = await phone(forum, http)
            ack = await client.call("submit_card", {**card, "text": "Doch noch"}, timeout=10)
            assert ack["ok"], ack
            await client.disconnect()

    asyncio.run(scenario())
    assert forum.query("SELECT text FROM cards") == [("Doch noch",)]
    assert forum.server.is_running
    assert "Traceback" not in forum.server.output(), forum.server.output()[-3000:]
