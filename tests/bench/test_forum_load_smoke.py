"""The forum benchmark still runs: a few phones for a few seconds, nothing lost or doubled.

Performance is measured by ``python -m bench.forum_load`` (docs/performance.md), never asserted here;
this only keeps the benchmark from rotting.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
KEYS = {
    "phones",
    "connected",
    "commands_sent",
    "commands_acked",
    "stored",
    "lost",
    "duplicated",
    "ack_p50_ms",
    "ack_p95_ms",
    "ack_p99_ms",
    "projector_p95_ms",
    "broadcast_p95_ms",
    "server_rss_mb",
    "server_cpu_s",
    "async_mode",
    "processes",
}

pytestmark = pytest.mark.server


def test_a_small_forum_loses_and_doubles_nothing():
    command = [
        sys.executable,
        "-m",
        "bench.forum_load",
        *("--phones", "20", "--rate", "10", "--seconds", "3", "--ramp", "2"),
        *("--idle", "0.5", "--vote-window", "2", "--approve-rate", "5"),
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(report) >= KEYS, KEYS - set(report)
    assert report["lost"] == 0 and report["duplicated"] == 0, report
    assert report["connected"] == report["phones"] == 20
    assert report["commands_acked"] == report["commands_sent"] > 20  # check-ins, cards and ballots
    assert report["stored"] == report["commands_acked"]
    assert report["async_mode"] == "eventlet" and report["processes"] == 1
    assert report["server_tracebacks"] == 0
