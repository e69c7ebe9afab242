"""RefStack test lists: time to compute every list of a guideline, defcore beside RefStack.

Run: .venv/bin/python benchmarks/refstack_lists.py [--guideline 2020.06] [--rounds 20]
     [--refstack-python PATH]
Computes the list of every target x type x alias x flag combination (5 x 6 x 2 x 2) with
defcore.guidelines.refstack_list, `--rounds` times, and prints the mean time per list. With
--refstack-python (the python of a venv holding `refstack==2.1.0`, such as the one the tests
build under $DEFCORE_CACHE_DIR/test-venvs/refstack-2.1.0/bin/python), RefStack's own
Guidelines.get_target_capabilities + get_test_list do the same work in that interpreter, and
the figures are printed side by side, with whether every list is identical.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import time
from pathlib import Path

from defcore.guidelines.refstack_list import InvalidTarget, listed_tests

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ("platform", "compute", "object", "dns", "orchestration")
TYPES = (None, "required", "advisory", "deprecated", "removed", "required,advisory")
FLAGS = (True, False)

REFSTACK = """
import itertools, json, sys, time
from refstack.api.guidelines import Guidelines
path, rounds, cases = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
doc = json.load(open(path))
g = Guidelines(repo_url="unused", raw_url="unused", additional_capability_urls="unused")
out = {}
start = time.perf_counter()
for _ in range(rounds):
    for target, types, alias, flag in cases:
        try:
            caps = g.get_target_capabilities(doc, types.split(",") if types else None, target)
            out[json.dumps([target, types, alias, flag])] = g.get_test_list(doc, caps, alias, flag)
        except KeyError:
            out[json.dumps([target, types, alias, flag])] = None
print(json.dumps({"seconds": time.perf_counter() - start, "lists": out}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guideline", default="2020.06")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--refstack-python", type=Path, default=None)
    args = parser.parse_args()
    interop = Path(os.environ.get("DEFCORE_GUIDELINES", ROOT.parent / "shared/data/interop"))
    path = interop / f"{args.guideline}.json"
    if not path.is_file():
        path = interop / "add-ons" / f"{args.guideline}.json"
    doc = json.loads(path.read_text())
    cases = list(itertools.product(TARGETS, TYPES, FLAGS, FLAGS))

    ours: dict[str, list[str] | None] = {}
    start = time.perf_counter()
    for _ in range(args.rounds):
        for target, types, alias, flag in cases:
            try:
                lines = listed_tests(doc, target, types.split(",") if types else None, alias, flag)
            except InvalidTarget:
                lines = None
            ours[json.dumps([target, types, alias, flag])] = lines
    seconds = time.perf_counter() - start
    count = args.rounds * len(cases)
    print(f"{path.name}: {len(cases)} lists x {args.rounds} rounds")
    print(f"defcore  {seconds / count * 1e3:8.3f} ms per list")
    if args.refstack_python is None:
        return
    done = subprocess.run(
        [str(args.refstack_python), "-c", REFSTACK, str(path), str(args.rounds), json.dumps(cases)],
        capture_output=True,
        text=True,
        check=True,
    )
    theirs = json.loads(done.stdout)
    print(f"RefStack {theirs['seconds'] / count * 1e3:8.3f} ms per list")
    same = all(ours[key] == value for key, value in theirs["lists"].items())
    print(f"identical lists: {same} ({len(theirs['lists'])} compared)")


if __name__ == "__main__":
    main()
