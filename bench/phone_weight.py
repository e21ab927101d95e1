"""Phone page weight and speed: bytes transferred on a first visit and the time until a phone can submit.

    .venv/bin/python bench/phone_weight.py [--runs 3] [--no-throttle]

Starts the real server (eventlet, ``tests/serverproc.py``) on a fresh SQLite file with the demo
workshop, opens its card step ("Erhalten – Zurücklassen – Neu gestalten"), then loads the phone page
in Debian's Chromium (390×844, de-DE, a fresh context each run: nothing cached) with the network
throttled through the DevTools protocol to Chromium's "Slow 3G" figures as specified for this
benchmark: 400 ms latency, 400 kbit/s down and up.

Measured per run:
- transferred: the bytes on the wire (``encodedDataLength`` of every HTTP response: compressed body
  plus headers; the Socket.IO WebSocket frames are left out), and the decoded size of the same bodies;
- before ready: the part of those bytes (and requests) finished when the phone was ready; the rest is
  what the phone fetches in the background afterwards (the voting and recommendation modules);
- ready: milliseconds from the start of the navigation until the card form is there and the
  connection says "Verbunden" (the phone can submit; a card sent then goes out at once).

Prints one line per run and the medians, as a Markdown table row for docs/performance.md.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from live.liveforum import Screen, log_in  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from serverproc import start_server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-quic"]
EMAIL, PASSWORD = "moderation@example.org", "pass-word-123"
CARD_STEP = "Erhalten – Zurücklassen – Neu gestalten"
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}
READY = "() => document.querySelector('#card-text') && document.getElementById('connection').dataset.state === 'online'"


def prepare(server) -> str:
    server.cli("create-moderator", EMAIL, "--password", PASSWORD, "--name", "Bench")
    code = re.search(r"join code ([A-Z0-9]{6})", server.cli("load-demo", "--owner", EMAIL)).group(1)
    console = Screen(type("Forum", (), {"server": server})(), {"screen": "console", "code": code}, http=log_in(server))
    try:
        step = next(a["id"] for a in console.snapshot["activities"] if a["title"] == CARD_STEP)
        console.command("change_workshop_state", {"state": "live"})
        console.command("open_activity", {"activity_id": step})
    finally:
        console.close()
    return code


def measure(browser, url: str, throttle: bool) -> dict:
    context = browser.new_context(locale="de-DE", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    if throttle:
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    requests: dict[str, dict] = {}
    cdp.on(
        "Network.responseReceived",
        lambda e: requests.setdefault(e["requestId"], {}).update(
            url=e["response"]["url"],
            encoding={k.lower(): v for k, v in e["response"]["headers"].items()}.get("content-encoding", ""),
        ),
    )
    cdp.on(
        "Network.dataReceived",
        lambda e: requests.setdefault(e["requestId"], {}).update(
            decoded=requests.get(e["requestId"], {}).get("decoded", 0) + e["dataLength"]
        ),
    )
    cdp.on(
        "Network.loadingFinished", lambda e: requests.setdefault(e["requestId"], {}).update(wire=e["encodedDataLength"])
    )
    try:
        page.goto(url, wait_until="commit", timeout=60_000)
        page.wait_for_function(READY, timeout=60_000, polling=50)
        ready = page.evaluate("performance.now()")
        before_ready = {key for key, r in requests.items() if "wire" in r}
        page.wait_for_load_state("networkidle", timeout=60_000)
    finally:
        context.close()
    http = [r for r in requests.values() if "wire" in r and not r.get("url", "").startswith("ws")]
    first = [r for key, r in requests.items() if key in before_ready and not r.get("url", "").startswith("ws")]
    return {
        "ready_ms": ready,
        "wire": sum(r["wire"] for r in http),
        "wire_ready": sum(r["wire"] for r in first),
        "requests_ready": len(first),
        "decoded": sum(r.get("decoded", 0) for r in http),
        "requests": len(http),
        "files": sorted(
            (
                (r.get("url", "?").split("/", 3)[-1].split("?")[0], r["wire"], r.get("decoded", 0), r.get("encoding"))
                for r in http
            ),
            key=lambda item: -item[1],
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-throttle", action="store_true", help="Measure without the network emulation.")
    parser.add_argument("--files", action="store_true", help="List every file of the last run.")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp), async_mode="eventlet", timeout=90)
        try:
            code = prepare(server)
            url = f"{server.url}/{code}"
            results = []
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                try:
                    for run in range(options.runs):
                        result = measure(browser, url, throttle=not options.no_throttle)
                        results.append(result)
                        print(
                            f"run {run + 1}: {result['wire'] / 1024:.1f} KB on the wire "
                            f"({result['decoded'] / 1024:.1f} KB decoded, {result['requests']} requests; "
                            f"{result['wire_ready'] / 1024:.1f} KB in {result['requests_ready']} before ready), "
                            f"ready to submit after {result['ready_ms'] / 1000:.2f} s"
                        )
                finally:
                    browser.close()
        finally:
            server.stop()
    if options.files:
        for name, wire, decoded, encoding in results[-1]["files"]:
            print(f"  {wire / 1024:7.1f} KB  {decoded / 1024:7.1f} KB decoded  {encoding or '-':5}  {name}")
    wire = statistics.median(r["wire"] for r in results) / 1024
    wire_ready = statistics.median(r["wire_ready"] for r in results) / 1024
    decoded = statistics.median(r["decoded"] for r in results) / 1024
    ready = statistics.median(r["ready_ms"] for r in results) / 1000
    profile = "none" if options.no_throttle else "Slow 3G (400 ms, 400/400 kbit/s)"
    print(
        f"median of {len(results)}: {wire:.1f} KB transferred ({decoded:.1f} KB decoded), {wire_ready:.1f} KB of it "
        f"before ready, ready after {ready:.2f} s"
    )
    print(
        f"| {profile} | {results[0]['requests_ready']} + {results[0]['requests'] - results[0]['requests_ready']} "
        f"| {wire_ready:.1f} KB + {wire - wire_ready:.1f} KB | {decoded:.1f} KB | {ready:.2f} s |"
    )


if __name__ == "__main__":
    main()
