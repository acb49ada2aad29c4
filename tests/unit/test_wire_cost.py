"""benchmarks/wire_cost.py, short: two small rounds each way, so the benchmark does not rot
(its figures are timings; only that it measures every path, and sanely, is asserted)."""

import importlib.util
import sys

from tests.conftest import ROOT


def test_wire_cost_prints_every_path_with_its_cpu(small_rounds, monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location("wire_cost", ROOT / "benchmarks" / "wire_cost.py")
    wire_cost = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(wire_cost)
    monkeypatch.setattr(sys, "argv", ["wire_cost.py", "--rounds", "2"])
    wire_cost.main()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("2 rounds of bf stress") and "load average" in lines[0]
    rows = {line.split("  ")[0].strip(): line.split() for line in lines[2:7]}
    assert list(rows) == ["inproc handlers", "inproc unary", "inproc stream", "unix unary", "unix stream"]
    for path, cells in rows.items():  # path (two words), req/s, 2 ratios, client µs, server µs, req/CPU s, ...
        per_second, client_cpu, per_cpu = (float(cells[i].replace(",", "")) for i in (2, 5, 7))
        assert per_second > 0 and client_cpu > 0 and per_cpu > 0, path
        assert (cells[6] == "-") == path.startswith("inproc"), path  # the server's CPU, when there is a server
    assert all(float(rows[path][6].replace(",", "")) > 0 for path in ("unix unary", "unix stream"))
