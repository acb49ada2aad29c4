"""`bf test` as a user runs it: a real subprocess."""

import json
import subprocess
import sys

from tests.conftest import ROOT


def bf(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "workbench.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_bundle_reports_55_passed(kata_bundle):
    result = bf("test", "--bundle", str(kata_bundle))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "55 passed, 0 failed"
    assert result.stdout.count("PASS ") == 55


def test_project_specs_pass_and_there_are_at_least_80():
    result = bf("test")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    passed = int(result.stdout.splitlines()[-1].split()[0])
    assert passed >= 80
    assert result.stdout.splitlines()[-1] == f"{passed} passed, 0 failed"


def test_a_failing_spec_prints_the_spec_and_its_differences_and_exits_1(tmp_path):
    spec = tmp_path / "wrong.spec"
    spec.write_text(
        "wrong count\n---\nGIVEN:\nWHEN:\n  AddProductsReq skus:\"a\"\nTHEN:\n"
        "  AddProductsResp uids:\"00000000-0000-0000-0000-000000000002\"\n")
    result = bf("test", str(spec))
    assert result.returncode == 1
    assert 'Response.uids[0]: expected "UID(2)", got "UID(1)"' in result.stdout
    assert "AddProductsReq skus:\"a\"" in result.stdout
    assert result.stdout.splitlines()[-1] == "0 passed, 1 failed"


def test_a_malformed_spec_gives_one_line_with_file_and_line_and_exit_2(tmp_path):
    spec = tmp_path / "broken.spec"
    spec.write_text("s\n---\nGIVEN:\n  LocationAded uid:\"x\"\nWHEN:\n  AddProductsReq\nTHEN:\n  AddProductsResp\n")
    result = bf("test", str(spec))
    assert result.returncode == 2
    assert result.stderr.strip() == f"bf test: {spec}:4: unknown message LocationAded; did you mean LocationAdded?"
    assert "Traceback" not in result.stderr


def test_json_gives_one_object_per_spec(kata_bundle):
    result = bf("test", "--bundle", str(kata_bundle), "--json", "-k", "reserve")
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert objects and all(o["status"] == "pass" for o in objects)
    assert all("reserve" in o["name"].lower() for o in objects)
    assert {"name", "file", "line", "number", "status", "differences", "error", "touched"} <= set(objects[0])


def test_core_runs_without_the_tui():
    code = ("import sys, workbench.commands.test, workbench.specs.runner; "
            "assert 'textual' not in sys.modules, 'the core imported textual'")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_a_missing_spec_file_is_named_without_a_line(tmp_path):
    result = bf("test", str(tmp_path / "nope.spec"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"bf test: {tmp_path / 'nope.spec'}: no such file or folder"


def test_bf_test_runs_the_project_it_is_run_in_not_an_installed_copy(small_project_copy):
    feature = small_project_copy.root / "domain/features/products/add.py"
    feature.write_text(feature.read_text().replace("uids.append(uid)", "uids.append(uid.upper() + 'X')"))
    # -P: like the `bf` console script, the folder it runs in is not on sys.path
    console_script = [sys.executable, "-P", "-c", "import sys; from workbench.cli import main; sys.exit(main())", "test",
                      "specs/products"]
    here = subprocess.run(console_script, cwd=small_project_copy.root, capture_output=True, text=True, timeout=120)
    assert here.returncode == 1, here.stdout[-2000:] + here.stderr
    assert "Response.uids[0]" in here.stdout
    named = subprocess.run([*console_script[:4], "--project", str(small_project_copy.root), "test",
                            str(small_project_copy.root / "specs/products")],
                           cwd=ROOT.parent, capture_output=True, text=True, timeout=120)
    assert named.returncode == 1 and "Response.uids[0]" in named.stdout


def test_a_filter_that_matches_nothing_says_so_and_exits_1():
    result = bf("test", "specs/products", "-k", "nomatch")
    assert result.returncode == 1
    assert result.stdout.splitlines() == ["0 passed, 0 failed"]
    assert result.stderr.startswith("bf test: no spec's name or file contains 'nomatch' (of ")
