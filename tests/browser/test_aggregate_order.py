"""A screen keeps the newest coalesced aggregate of a step when an older one arrives last (``live.js``).

With several server processes two processes' aggregates (``wall_changed``, ``results_changed``,
``board_changed``, ``recommendations_changed``, ``presence_changed``) can reach a screen in either
order; each carries ``seq`` (docs/protocol.md). Here the real ``live.js`` runs in Chromium and its
incoming-event listener is handed payloads in the wrong order, as the socket would hand them.
"""

import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

ARRIVALS = """async (arrivals) => {
  const { Live } = await import("/static/js/live.js");
  const live = new Live({ screen: "projector", code: "NOCODE", onSnapshot() {} });
  live.socket.disconnect();
  const shown = [];
  for (const event of ["wall_changed", "results_changed", "board_changed", "presence_changed"]) {
    live.on(event, (payload) => shown.push(`${event} ${payload.label}`));
  }
  // What the socket does with every incoming event: its "any" listeners first (live.js's is one).
  for (const [event, payload] of arrivals) live.socket.listenersAny().forEach((listener) => listener(event, payload));
  return shown;
}"""


def test_an_older_aggregate_arriving_after_a_newer_one_is_dropped(page: Page, live_server):
    page.goto(f"{live_server.url}/datenschutz")
    shown = page.evaluate(
        ARRIVALS,
        [
            ["wall_changed", {"activity_id": 1, "seq": 200, "label": "B"}],
            ["wall_changed", {"activity_id": 1, "seq": 100, "label": "A (older, arrives last)"}],
            ["wall_changed", {"activity_id": 2, "seq": 150, "label": "another step"}],
            ["results_changed", {"activity_id": 1, "seq": 120, "label": "results"}],
            ["board_changed", {"activity_id": 3, "seq": 90, "label": "board"}],
            ["presence_changed", {"seq": 500, "label": "presence newer"}],
            ["presence_changed", {"seq": 400, "label": "presence older"}],
            ["wall_changed", {"activity_id": 1, "label": "without seq (Redis did not answer)"}],
            ["wall_changed", {"activity_id": 1, "seq": 200, "label": "same seq"}],
            ["wall_changed", {"activity_id": 1, "seq": 300, "label": "C"}],
        ],
    )
    assert shown == [
        "wall_changed B",
        "wall_changed another step",
        "results_changed results",
        "board_changed board",
        "presence_changed presence newer",
        "wall_changed without seq (Redis did not answer)",
        "wall_changed same seq",
        "wall_changed C",
    ]
