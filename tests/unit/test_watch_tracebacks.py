"""Error verdicts show the project's frames, not the runner's or importlib's."""

from __future__ import annotations

from pathlib import Path

from workbench.watch.tracebacks import project_frames

DOMAIN = Path("/p/domain")

HANDLER_CRASH = '''Traceback (most recent call last):
  File "/w/workbench/specs/runner.py", line 45, in run_spec
    outcome = target.run(spec.given, spec.when, spec.next_uid)
              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "<frozen importlib._bootstrap>", line 1204, in _gcd_import
  File "/p/domain/features/products/add.py", line 8, in add_products
    uids = [] + 1
           ~~~^~~
TypeError: can only concatenate list (not "int") to list
'''


def test_only_the_project_frames_stay():
    assert project_frames(HANDLER_CRASH, DOMAIN) == '''Traceback (most recent call last):
  File "/p/domain/features/products/add.py", line 8, in add_products
    uids = [] + 1
           ~~~^~~
TypeError: can only concatenate list (not "int") to list
'''


def test_a_traceback_without_project_frames_stays_whole():
    workbench_bug = HANDLER_CRASH.replace("/p/domain/features/products/add.py", "/w/workbench/core/execute.py")
    assert project_frames(workbench_bug, DOMAIN) == workbench_bug
