"""The watch's truth test, long: many seeds, many steps each (see tests/watch_truth.py).

    python benchmarks/watch_soak.py [--seeds 1-20] [--steps 30] [--restart-every 7]

After each random edit the verdicts `bf watch --json` shows must equal a fresh
`bf test --json` of the same tree; the first lie stops the soak and prints the
seed and its whole sequence (rerun it alone with `--seeds N`). Prints a line
per step and, at the end, the steps checked and the time they took.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.watch_truth import check_seed  # noqa: E402  (the project root first, above)


def seed_range(text: str) -> list[int]:
    first, _, last = text.partition("-")
    return list(range(int(first), int(last or first) + 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1-20", help="a seed or a range, e.g. 7 or 1-20 (default 1-20)")
    parser.add_argument("--steps", type=int, default=30, help="edits per seed (default 30)")
    parser.add_argument("--restart-every", type=int, default=7, help="restart bf watch every N steps (0: never)")
    args = parser.parse_args()
    seeds = seed_range(args.seeds)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bf-watch-soak-") as folder:
        for seed in seeds:
            check_seed(seed, args.steps, Path(folder), args.restart_every, log=print)
    elapsed = time.perf_counter() - started
    print(f"{len(seeds) * args.steps} steps over {len(seeds)} seeds: the watch agreed with bf test after every one "
          f"({elapsed:.0f} s, {elapsed / (len(seeds) * args.steps):.1f} s a step)")


if __name__ == "__main__":
    main()
