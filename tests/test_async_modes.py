"""The real server in every async mode: it serves pages and Socket.IO over WebSocket.

Each case starts ``python wsgi.py`` in a subprocess (eventlet and gevent patch the standard library,
which the test process must not do), loads the demo workshop through the CLI and connects a
python-socketio client as the projector.
"""

import sqlite3
import threading

import pytest
import requests
import socketio
from serverproc import start_server

pytestmark = pytest.mark.server

MODES = ("eventlet", "gevent", "threading")


@pytest.fixture(scope="module", params=MODES)
def server(request, tmp_path_factory):
    """One server per mode for the whole module (starting one costs a few seconds)."""
    server = start_server(tmp_path_factory.mktemp(request.param), async_mode=request.param)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def workshop(server) -> dict:
    """Load the demo workshop through the CLI; its join code and projector key from the database."""
    server.cli("load-demo")
    with sqlite3.connect(server.sqlite_path) as connection:
        join_code, screen_key = connection.execute(
            "SELECT join_code, screen_key FROM workshops ORDER BY id DESC LIMIT 1"
        ).fetchone()
    return {"code": join_code, "key": screen_key}


def test_serves_pages(server):
    response = requests.get(f"{server.url}/login", timeout=10)
    assert response.status_code == 200
    assert "Anmeldung für Moderation" in response.text
    assert requests.get(f"{server.url}/login?lang=en", timeout=10).text.count("Sign in for moderators") == 1


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_projector_connects_and_gets_a_snapshot(server, workshop, transport):
    client = socketio.Client(reconnection=False)
    snapshots = []
    received = threading.Event()

    @client.on("snapshot")
    def on_snapshot(data):
        snapshots.append(data)
        received.set()

    try:
        client.connect(
            server.url,
            auth={"screen": "projector", **workshop},
            transports=[transport],
            wait_timeout=10,
        )
        assert client.transport() == transport
        assert received.wait(10), f"no snapshot from the {server.async_mode} server:\n{server.output()[-3000:]}"
    finally:
        client.disconnect()

    snapshot = snapshots[0]
    assert snapshot["screen"] == "projector"
    assert snapshot["workshop"]["join_code"] == workshop["code"]
    assert snapshot["workshop"]["title"] == "Strategie 2025–2030"


def test_projector_with_a_wrong_key_is_refused(server, workshop):
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(
            server.url,
            auth={"screen": "projector", "code": workshop["code"], "key": "wrong"},
            transports=["websocket"],
            wait_timeout=10,
        )
    client.disconnect()
