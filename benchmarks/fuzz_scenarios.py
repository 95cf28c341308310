"""Fuzz the scenario layer with many seeded mutants of the bundled scenarios.

The larger run of ``tests/test_fuzz_scenarios.py`` (same mutants, same contract: no
traceback, every refusal names the file and key, ``validate`` accepts a file exactly
when ``simulate --replications 2`` runs it). Prints the verdicts per kind of mutation
and every broken promise; exits 1 if there is one.

python benchmarks/fuzz_scenarios.py [--cases 3000] [--seed 15]
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fuzz_scenarios import check, mutants  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    verdicts: collections.Counter = collections.Counter()
    broken = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ccsim-fuzz-") as folder:
        for mutant in mutants(args.seed, args.cases, Path(folder)):
            found, code = check(mutant)
            verdicts[mutant.kind, "accepted" if code == 0 else "refused"] += 1
            if found:
                broken.append(f"{mutant.path.parent.name} {mutant.kind} ({mutant.change}): {found}")
    seconds = time.perf_counter() - started
    print(f"{args.cases} mutants (seed {args.seed}) in {seconds:.0f} s")
    for kind in sorted({k for k, _ in verdicts}):
        print(f"  {kind:8s} accepted {verdicts[kind, 'accepted']:5d}  "
              f"refused {verdicts[kind, 'refused']:5d}")  # fmt: skip
    print(f"broken promises: {len(broken)}")
    for line in broken:
        print("  " + line)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
