"""On the real eventlet server: a download is built in a child process, and the forum carries on meanwhile.

A phone connects and has its card acked while the export's child process is still working: the
serving loop is never busy with the export. (Built in the serving process, the export would hold the
loop until the file was done, and the ack would come after it.)
"""

import asyncio
import threading
from pathlib import Path

import aiohttp
import pytest
import socketio

from tests.live.liveforum import CARD_STEP, CONNECT_TIMEOUT, Screen, log_in, start_forum, wait_until

pytestmark = pytest.mark.server


def export_children(server_pid: int) -> list[int]:
    """Processes the server started for an export (``flask … export-workshop``)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        if parent == server_pid and b"export-workshop" in command:
            found.append(int(stat.parent.name))
    return found


def is_alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def submit_card(forum, step_id: int) -> dict:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
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
        card = {"client_id": "export-1", "activity_id": step_id, "column": "Erhalten", "text": "Während des PDFs"}
        ack = await client.call("submit_card", card, timeout=30)
        await client.disconnect()
        return ack


def test_a_phone_is_acked_while_a_pdf_is_built(tmp_path):
    forum = start_forum(tmp_path, "eventlet")
    console = None
    try:
        console = Screen(forum, {"screen": "console", "code": forum.code}, http=log_in(forum.server))
        [step] = [a for a in console.snapshot["activities"] if a["title"] == CARD_STEP]
        console.command("change_workshop_state", {"state": "live"})
        console.command("open_activity", {"activity_id": step["id"]})
        [(workshop_id,)] = forum.query("SELECT id FROM workshops WHERE join_code = ?", forum.code)

        download = {}
        organiser = log_in(forum.server)

        def fetch():
            download["response"] = organiser.get(f"{forum.server.url}/workshops/{workshop_id}/export.pdf", timeout=120)

        fetching = threading.Thread(target=fetch)
        fetching.start()
        [child] = wait_until(lambda: export_children(forum.server.process.pid), 60, "no export child process")

        ack = asyncio.run(submit_card(forum, step["id"]))
        # The ack came while the export was still being built.
        assert ack.get("ok") is True, ack
        assert is_alive(child) and "response" not in download

        fetching.join(120)
        response = download["response"]
        assert response.status_code == 200 and response.content.startswith(b"%PDF-")
        assert response.headers["Content-Length"] == str(len(response.content))
        assert forum.query("SELECT text FROM cards") == [("Während des PDFs",)]
        assert not export_children(forum.server.process.pid)
        assert "Traceback" not in forum.server.output(), forum.server.output()[-3000:]
    finally:
        forum.server.stop()  # before the console closes (see tests/live/conftest.py)
        if console:
            console.close()
