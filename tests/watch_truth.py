"""The watch's truth, checked: after each edit, the verdicts `bf watch --json`
shows equal a fresh `bf test --json` of the same tree.

A temporary copy of the project (domain, specs, the framework `workbench/`
itself, pyproject.toml with a short `spec_timeout`) is edited by a seeded
random sequence drawn from many kinds of edits; after each, the watch is left
to settle (its `idle` event, then quiet), and its view of every spec is
compared with the oracle's: the same spec ids (a spec of a file that no
longer parses included), the same status and differences, the same totals,
and stale contracts shown exactly when `bf test` says so. A failing seed
prints its whole sequence. Used by tests/unit/test_watch_truth.py (short) and
benchmarks/watch_soak.py (long).
"""

from __future__ import annotations

import json
import os
import queue
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC_TIMEOUT = 2.0  # seconds: above the slowest spec (0.5 s) under load; a runaway handler costs this per spec
QUIET_SECONDS = 0.4  # after `idle`, nothing more for this long: the watch has seen the whole edit
SETTLE_SECONDS = 90


def make_copy(dest: Path) -> Path:
    """The project, framework included, in `dest`, with a short spec budget."""
    for name in ("domain", "specs", "workbench"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    text = (ROOT / "pyproject.toml").read_text()
    (dest / "pyproject.toml").write_text(text.replace("[tool.bf]\n", f"[tool.bf]\nspec_timeout = {SPEC_TIMEOUT}\n", 1))
    return dest


def _env() -> dict:
    return {**os.environ, "NO_COLOR": "1"}


class WatchProcess:
    """`bf watch --json` on the copy (its own framework first on sys.path), read by a thread."""

    def __init__(self, root: Path):
        self.root = root
        self.process = subprocess.Popen([sys.executable, "-m", "workbench.cli", "watch", "--json"], cwd=root,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=_env(),
                                        start_new_session=True)
        self.events: queue.Queue = queue.Queue()
        self.specs: dict[str, set[str]] = {}  # spec file -> its spec ids, as last loaded
        self.verdicts: dict[str, dict] = {}
        self.idle: dict | None = None
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.events.put(json.loads(line))
        self.events.put(None)

    def settle(self, first_event_within: float = 3.0) -> None:
        """Take events until the watch is idle and then quiet for a while; an edit
        that makes no event at all is left to the comparison to judge."""
        deadline = time.monotonic() + SETTLE_SECONDS
        idle = got_any = False
        while time.monotonic() < deadline:
            try:
                event = self.events.get(timeout=QUIET_SECONDS if idle else 5.0 if got_any else first_event_within)
            except queue.Empty:
                if idle or not got_any:
                    return
                continue
            if event is None:
                raise AssertionError("bf watch ended")
            got_any = True
            self._take(event)
            idle = event["event"] == "idle"
        raise AssertionError(f"bf watch did not settle in {SETTLE_SECONDS} s")

    def _take(self, event: dict) -> None:
        kind = event["event"]
        if kind == "specs":
            gone = self.specs.get(event["file"], set()) - {s["spec_id"] for s in event["specs"]}
            for spec in gone:
                self.verdicts.pop(spec, None)
            self.specs[event["file"]] = {s["spec_id"] for s in event["specs"]}
        elif kind == "verdict":
            self.verdicts[event["spec_id"]] = event["verdict"]
        elif kind == "idle":
            self.idle = event

    def view(self) -> dict[str, tuple]:
        known = {s for ids in self.specs.values() for s in ids}
        return {s: _judged(self.verdicts.get(s)) for s in sorted(known)}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _judged(verdict: dict | None) -> tuple:
    if verdict is None:
        return ("never run",)
    differences = tuple((d["path"], d["expected"], d["actual"]) for d in verdict["differences"])
    return (verdict["status"], differences)


@dataclass
class Oracle:
    verdicts: dict[str, tuple]
    stale: bool


def fresh_bf_test(root: Path) -> Oracle:
    done = subprocess.run([sys.executable, "-m", "workbench.cli", "test", "--json"], cwd=root, capture_output=True,
                          text=True, env=_env(), timeout=300)
    verdicts = {}
    for line in done.stdout.splitlines():
        verdict = json.loads(line)
        verdicts[f"{verdict['file']}#{verdict['number']}"] = _judged(verdict)
    return Oracle(verdicts, "contracts stale" in done.stderr)


# -- the edits ----------------------------------------------------------------------


@dataclass
class Tree:
    root: Path
    rng: random.Random
    pristine: Path  # the untouched copy, to restore from
    undo: list = field(default_factory=list)  # (description, how to put it back)

    def path(self, name: str) -> Path:
        return self.root / name

    def files(self, folder: str, pattern: str) -> list[Path]:
        return sorted(p for p in self.path(folder).rglob(pattern) if "__pycache__" not in p.parts)

    def replace(self, path: Path, old: str, new: str, count: int = 1) -> bool:
        text = path.read_text()
        if old not in text:
            return False
        path.write_text(text.replace(old, new, count))
        return True


def _rel(tree: Tree, path: Path) -> str:
    return path.relative_to(tree.root).as_posix()


def _edit_then_undo(tree: Tree, path: Path, old: str, new: str, what: str) -> str | None:
    original = path.read_text()
    if not tree.replace(path, old, new):
        return None
    tree.undo.append((f"undo: {what}", lambda: path.write_text(original)))
    return what


def spec_expectation(tree: Tree) -> str | None:
    """Change an expected value in a spec (a number, or a string's last letter)."""
    path = tree.rng.choice(tree.files("specs", "*.spec"))
    lines = path.read_text().splitlines(keepends=True)
    candidates = [i for i, line in enumerate(lines) if re.search(r'(qty|onHand|reserved|sku):\S', line)]
    if not candidates:
        return None
    index = tree.rng.choice(candidates)
    changed = re.sub(r'((?:qty|onHand|reserved):)(\d+)', lambda m: m.group(1) + str(int(m.group(2)) + 1), lines[index], 1)
    if changed == lines[index]:
        changed = re.sub(r'(sku:"[^"]*)"', r'\1x"', lines[index], 1)
    original = path.read_text()
    lines[index] = changed
    path.write_text("".join(lines))
    tree.undo.append((f"undo spec edit in {_rel(tree, path)}", lambda: path.write_text(original)))
    return f"spec: {_rel(tree, path)} line {index + 1} -> {changed.strip()}"


def spec_syntax(tree: Tree) -> str | None:
    path = tree.rng.choice(tree.files("specs", "*.spec"))
    return _edit_then_undo(tree, path, "WHEN:", "WHEN:\n  NoSuchRequest", f"spec syntax error in {_rel(tree, path)}")


def lua_in_spec(tree: Tree) -> str | None:
    path = tree.rng.choice(tree.files("specs/scripts", "*.spec") or [None]) if tree.path("specs/scripts").exists() else None
    if path is None:
        return None
    broken = tree.rng.random() < 0.5
    new = 'source:"return nil +' if broken else 'source:"local unused = 1 '
    return _edit_then_undo(tree, path, 'source:"', new, f"Lua in {_rel(tree, path)} ({'broken' if broken else 'changed'})")


def feature_message(tree: Tree) -> str | None:
    """A handler's rejection message changes: the specs stating it now fail."""
    path = tree.rng.choice(tree.files("domain/features", "*.py"))
    found = re.findall(r'raise Rejected\(Code\.\w+, f?"([^"{]{4,})', path.read_text())
    if not found:
        return None
    message = tree.rng.choice(found)
    return _edit_then_undo(tree, path, f'"{message}', f'"{message}!', f"handler message in {_rel(tree, path)}: {message}!")


def feature_logic(tree: Tree) -> str | None:
    path = tree.path("domain/features/products/add.py")
    return _edit_then_undo(tree, path, "uids.append(uid)", "uids.append(sku)", "handler logic: products/add.py")


def feature_syntax(tree: Tree) -> str | None:
    path = tree.rng.choice(tree.files("domain/features", "*.py"))
    if path.name == "__init__.py":
        return None
    return _edit_then_undo(tree, path, "\ndef ", "\ndef broken(:\n    pass\n\ndef ", f"syntax error in {_rel(tree, path)}")


def runaway_handler(tree: Tree) -> str | None:
    path = tree.path(tree.rng.choice(["domain/features/reports/remove.py", "domain/features/scripts/remove.py"]))
    if not path.exists():
        return None
    text = path.read_text()
    head = re.search(r"def remove_\w+\(tx[^\n]*\n", text)
    if head is None:
        return None
    return _edit_then_undo(tree, path, head.group(0), head.group(0) + "    while True:\n        pass\n",
                           f"runaway handler in {_rel(tree, path)}")


def duplicate_feature(tree: Tree) -> str | None:
    source = tree.rng.choice([p for p in tree.files("domain/features", "*.py") if p.name != "__init__.py"])
    copy = source.with_name(source.stem + "_copy.py")
    if copy.exists():
        return None
    shutil.copy(source, copy)
    tree.undo.append((f"delete {_rel(tree, copy)}", copy.unlink))
    return f"duplicate handler: {_rel(tree, source)} copied to {copy.name}"


def _rename_or_delete(tree: Tree, path: Path, renamed: Path, what: str) -> str:
    """Rename `path` (half the time) or delete it, with the undo."""
    if tree.rng.random() < 0.5:
        path.rename(renamed)
        tree.undo.append((f"rename {renamed.name} back", lambda: renamed.rename(path)))
        return f"{what} renamed: {_rel(tree, path)} -> {renamed.name}"
    original = path.read_bytes()
    path.unlink()
    tree.undo.append((f"restore {_rel(tree, path)}", lambda: path.write_bytes(original)))
    return f"{what} deleted: {_rel(tree, path)}"


def feature_file_moves(tree: Tree) -> str | None:
    source = tree.rng.choice([p for p in tree.files("domain/features", "*.py") if p.name != "__init__.py"])
    return _rename_or_delete(tree, source, source.with_name(source.stem + "_renamed.py"), "feature")


def shared_module(tree: Tree) -> str | None:
    path = tree.path(tree.rng.choice(["domain/totals.py", "domain/lookups.py"]))
    if tree.rng.random() < 0.5:
        return _edit_then_undo(tree, path, "\ndef ", "\ndef broken(:\n    pass\n\ndef ", f"syntax error in {_rel(tree, path)}")
    return _edit_then_undo(tree, path, "from __future__ import annotations\n",
                           "from __future__ import annotations\n\nSHARED_CONSTANT = 1\n", f"module level of {_rel(tree, path)}")


def framework(tree: Tree) -> str | None:
    path = tree.path("workbench/core/transaction.py")
    if tree.rng.random() < 0.5:
        return _edit_then_undo(tree, path, "        self.events.append(event)\n",
                               "        self.events.append(event)\n        self.events.append(event)\n",
                               "framework: every event recorded twice (workbench/core/transaction.py)")
    return _edit_then_undo(tree, path, "class NoApplier", "# a comment\nclass NoApplier", "framework: a comment")


def schema(tree: Tree) -> str | None:
    path = tree.path("domain/schema.sql")
    if tree.rng.random() < 0.5:
        return _edit_then_undo(tree, path, "CREATE TABLE", "CREATE TABLE oops (;\nCREATE TABLE", "schema broken")
    return _edit_then_undo(tree, path, "CREATE TABLE", "CREATE TABLE unused (x INTEGER);\nCREATE TABLE", "schema: a new table")


def contract(tree: Tree) -> str | None:
    """Rename a field in a .proto; half the time also `bf protos` (then spec files naming it no longer parse)."""
    path = tree.path("domain/contracts/inventory.proto")
    what = _edit_then_undo(tree, path, "string newParent = 2;", "string newParentUid = 2;", "contract: newParent renamed")
    if what is None:
        return None
    if tree.rng.random() < 0.5:
        undo_text = tree.undo.pop()
        protos(tree)
        tree.undo.append((undo_text[0] + " and bf protos", lambda: (undo_text[1](), protos(tree))))
        what += ", then bf protos"
    return what


def protos(tree: Tree) -> None:
    subprocess.run([sys.executable, "-m", "workbench.cli", "protos"], cwd=tree.root, capture_output=True, env=_env(),
                   check=True, timeout=120)


def spec_file_moves(tree: Tree) -> str | None:
    path = tree.rng.choice(tree.files("specs", "*.spec"))
    return _rename_or_delete(tree, path, path.with_name("renamed_" + path.name), "spec file")


def spec_file_added(tree: Tree) -> str | None:
    """A new spec file: a copy of another, its specs new ids."""
    source = tree.rng.choice(tree.files("specs", "*.spec"))
    added = source.with_name("added_" + source.name)
    if added.exists():
        return None
    shutil.copy(source, added)
    tree.undo.append((f"delete {_rel(tree, added)}", added.unlink))
    return f"spec file added: {_rel(tree, added)}"


def spec_folder_moves(tree: Tree) -> str | None:
    areas = sorted(p for p in tree.path("specs").iterdir() if p.is_dir())
    folder = tree.rng.choice(areas)
    choice = tree.rng.random()
    if choice < 0.35:
        target = folder.with_name(folder.name + "_renamed")
        folder.rename(target)
        tree.undo.append((f"rename {target.name} back", lambda: target.rename(folder)))
        return f"folder renamed: {_rel(tree, folder)} -> {target.name}"
    if choice < 0.7:
        inside = tree.path("specs/moved")
        inside.mkdir(exist_ok=True)
        target = inside / folder.name
        folder.rename(target)
        tree.undo.append((f"move {folder.name} back", lambda: target.rename(folder)))
        return f"folder moved: {_rel(tree, folder)} -> specs/moved/{folder.name}"
    keep = tree.root.parent / f"{tree.root.name}-kept-{folder.name}"
    shutil.move(folder, keep)  # out of the tree: a delete, as the watch sees it
    tree.undo.append((f"restore folder {folder.name}", lambda: shutil.move(keep, folder)))
    return f"folder deleted: {_rel(tree, folder)}"


EDITS = [spec_expectation, spec_syntax, lua_in_spec, feature_message, feature_logic, feature_syntax, runaway_handler,
         duplicate_feature, feature_file_moves, shared_module, framework, schema, contract, spec_file_moves,
         spec_file_added, spec_folder_moves]


def step(tree: Tree) -> str:
    """One random edit, or undoing an earlier one; now and then two, the second
    landing while the watch runs the first (it cancels and merges)."""
    if tree.rng.random() < 0.15:
        first = _one_step(tree)
        time.sleep(tree.rng.uniform(0.02, 0.2))
        return f"{first}; then, during its run, {_one_step(tree)}"
    return _one_step(tree)


def _one_step(tree: Tree) -> str:
    if tree.undo and tree.rng.random() < 0.45:
        what, undo = tree.undo.pop(tree.rng.randrange(len(tree.undo)))
        try:
            undo()
        except (OSError, shutil.Error):
            return f"{what}: nothing to undo"  # a later edit moved it away
        return what
    for _ in range(20):
        what = tree.rng.choice(EDITS)(tree)
        if what:
            return what
    return "nothing"


def compare(watch: WatchProcess, oracle: Oracle) -> list[str]:
    """Every way the watch's view differs from the oracle's, in words."""
    seen = watch.view()
    problems = []
    for spec in sorted(set(seen) | set(oracle.verdicts)):
        mine, truth = seen.get(spec, ("not shown",)), oracle.verdicts.get(spec, ("not a spec",))
        if mine != truth:
            problems.append(f"{spec}: watch shows {mine}, bf test says {truth}")
    idle = watch.idle or {}
    if idle.get("total") != len(oracle.verdicts):
        problems.append(f"the watch's total is {idle.get('total')}, bf test ran {len(oracle.verdicts)}")
    failing = sum(1 for v in oracle.verdicts.values() if v[0] != "pass")
    if idle.get("failing") != failing:
        problems.append(f"the watch counts {idle.get('failing')} failing, bf test {failing}")
    if bool(idle.get("stale")) != oracle.stale:
        problems.append(f"stale contracts: watch {idle.get('stale')}, bf test {'stale' if oracle.stale else 'fresh'}")
    return problems


def check_seed(seed: int, steps: int, workdir: Path, restart_every: int = 0, log=print) -> None:
    """Apply `steps` random edits; after each, the watch must equal a fresh `bf test`. Raises with the sequence."""
    root = make_copy(workdir / f"seed{seed}")
    tree = Tree(root, random.Random(seed), root)
    done: list[str] = []
    watch = WatchProcess(root)
    try:
        watch.settle(first_event_within=60)
        for number in range(1, steps + 1):
            if restart_every and number % restart_every == 0:
                watch.stop()
                watch = WatchProcess(root)
                what = "bf watch restarted (remembered verdicts, then what changed)"
            else:
                what = step(tree)
            done.append(what)
            watch.settle(first_event_within=60 if what.startswith("bf watch restarted") else 3.0)
            problems = compare(watch, fresh_bf_test(root))
            if problems:
                sequence = "\n".join(f"  {n}. {w}" for n, w in enumerate(done, 1))
                raise AssertionError(f"seed {seed}: after step {number} the watch lies:\n" + "\n".join(problems[:15])
                                     + f"\nthe sequence:\n{sequence}")
            log(f"seed {seed} step {number}: {what}: {len(watch.view())} specs agree")
    finally:
        watch.stop()
