"""`bf watch` in a real subprocess: a line per change and per verdict, or JSON events with times."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

FEATURE = "domain/features/products/add.py"
LINE_TIMEOUT = 20  # seconds


def start_watch(project, *flags: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "workbench.cli", "--project", str(project.root), "watch", *flags],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=project.root)


def lines_until(process: subprocess.Popen, ending: str) -> list[str]:
    lines = []
    while True:
        line = process.stdout.readline()
        assert line, f"bf watch ended early: {process.stderr.read()}"
        lines.append(line.rstrip("\n"))
        if ending in line:
            return lines


def stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGINT)
    return process.wait(LINE_TIMEOUT)


def save_feature(project) -> None:
    """An edit to the handler that changes what it runs, not what it does."""
    path = project.root / FEATURE
    path.write_text(path.read_text().replace("    uids = []\n", "    uids = list()\n", 1))


def test_json_prints_one_event_per_line_with_its_time(small_project_copy):
    process = start_watch(small_project_copy, "--json")
    try:
        first = [json.loads(line) for line in lines_until(process, '"event": "idle"')]
        save_feature(small_project_copy)
        second = [json.loads(line) for line in lines_until(process, '"event": "done"')]
    finally:
        code = stop(process)
    assert code == 0
    assert [e["event"] for e in first][:2] == ["watching", "run"]
    assert [e["event"] for e in first][-2:] == ["done", "idle"]
    assert first[-1]["total"] == first[-2]["total"] == first[-2]["passed"] and first[-1]["failing"] == 0
    assert second[0] == {"event": "change", "paths": [FEATURE], "at": second[0]["at"]}
    assert all(v["reason"] == f"its run executed add_products in {FEATURE}, which changed"
               for v in second if v["event"] == "verdict")
    verdicts = [e for e in second if e["event"] == "verdict"]
    assert verdicts and all(v["verdict"]["status"] == "pass" and v["reason"] for v in verdicts)
    assert second[-1]["passed"] == len(verdicts) and second[-1]["latency_ms"] > 0
    times = [e["at"] for e in first + second]
    assert times == sorted(times)


def test_text_prints_a_line_per_change_and_per_verdict(small_project_copy):
    process = start_watch(small_project_copy, "--no-initial-run")
    try:
        assert lines_until(process, "watching")[-1].startswith("watching domain, specs")
        save_feature(small_project_copy)
        lines = lines_until(process, " passed, ")
    finally:
        code = stop(process)
    assert code == 0
    assert lines[0] == f"changed: {FEATURE}"
    verdicts = [line for line in lines if line.startswith("PASS ")]
    assert verdicts and all(line.endswith(f"because {FEATURE} changed and no spec has run yet to tell what it affects")
                            for line in verdicts)
    assert lines[-1].startswith(f"run 1: {len(verdicts)} passed, 0 failed in ")
