"""Presence with two server processes on Redis and PostgreSQL: the screens count every connection.

Each process knows only its own connections; ``realtime.presence`` sums the processes' counts in
Redis. Phones on both processes, the console on one and the projector on the other: both screens show
every phone, and a phone leaving either process is counted out.
"""

import pytest
import requests
from liveforum import Forum, Screen, log_in, two_processes, wait_until
from serverproc import ServerProcess

pytestmark = [pytest.mark.server, pytest.mark.postgres, pytest.mark.redis]


def phone(server: ServerProcess, code: str) -> Screen:
    """A phone (threaded client) with its participant cookie from ``GET /<code>``."""
    http = requests.Session()
    assert http.get(f"{server.url}/{code}", timeout=10).status_code == 200
    return Screen(Forum(server, code, ""), {"screen": "phone", "code": code}, http=http)


def counts(screen: Screen) -> dict | None:
    """What the screen shows: the newest sum by ``seq`` (sums of two processes may arrive out of order)."""
    sums = screen.of("presence_changed")
    assert all(isinstance(s.get("seq"), int) for s in sums), sums
    newest = max(sums, key=lambda s: s["seq"], default=None)
    return newest and {k: newest[k] for k in ("phones", "projectors", "consoles")}


def test_presence_counts_the_connections_of_every_process(tmp_path, postgres_url, redis_url, screens):
    with two_processes(tmp_path, postgres_url, redis_url, "presence") as forum:
        (first, second), code, key = forum.servers, forum.code, forum.key
        console = Screen(Forum(first, code, key), {"screen": "console", "code": code}, http=log_in(first))
        screens.opened.append(console)
        projector = Screen(Forum(second, code, key), {"screen": "projector", "code": code, "key": key})
        screens.opened.append(projector)
        on_first = [phone(first, code) for _ in range(3)]
        on_second = [phone(second, code) for _ in range(2)]
        screens.opened.extend(on_first + on_second)

        everyone = {"phones": 5, "projectors": 1, "consoles": 1}
        for screen in (console, projector):
            wait_until(lambda screen=screen: counts(screen) == everyone, 10, f"{screen.snapshot['screen']} count")

        # Phones leave each process; the screens on both count them out.
        on_first.pop().close()
        on_second.pop().close()
        fewer = {"phones": 3, "projectors": 1, "consoles": 1}
        for screen in (console, projector):
            wait_until(lambda screen=screen: counts(screen) == fewer, 10, f"{screen.snapshot['screen']} count after")
        for server in forum.servers:
            assert "Traceback" not in server.output(), server.output()[-3000:]
