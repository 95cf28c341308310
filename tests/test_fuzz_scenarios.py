"""Fuzzing the scenario layer: seeded mutants of the bundled scenarios never crash
``validate`` or ``simulate``, every refusal names the file and the key, and ``validate``
accepts a file exactly when ``simulate --replications 2`` runs it.

The mutants and the contract are in ``tests/fuzz_scenarios.py``; this test runs a
fixed sample of :data:`CASES` (well under a minute); ``benchmarks/fuzz_scenarios.py``
runs thousands with any seed.
"""

from __future__ import annotations

import collections

from fuzz_scenarios import KINDS, Mutant, bases, check, mutants, to_toml

SEED = 15
CASES = 300


def test_the_bases_on_a_tiny_horizon_are_valid(tmp_path):
    """The mutants start from scenarios that validate and simulate (else every verdict
    would be a refusal)."""
    for name, doc, files in bases():
        here = tmp_path / name
        here.mkdir()
        for csv, text in files.items():
            (here / csv).write_text(text)
        path = here / f"{name}.toml"
        path.write_text(to_toml(doc))
        assert check(Mutant(path, "none", "")) == ([], 0)


def test_mutants_of_the_bundled_scenarios_keep_the_contract(tmp_path):
    broken = []
    verdicts: collections.Counter = collections.Counter()
    for mutant in mutants(SEED, CASES, tmp_path):
        found, code = check(mutant)
        if found:
            broken.append(f"{mutant.path.parent.name} {mutant.kind} ({mutant.change}): {found}")
        verdicts[mutant.kind, code] += 1
    assert broken == [], "\n".join(broken[:20])
    assert {kind for kind, _ in verdicts} == set(KINDS)  # every kind of mutation was drawn
    accepted = sum(n for (_, code), n in verdicts.items() if code == 0)
    assert 0.1 * CASES < accepted < 0.6 * CASES, verdicts  # both verdicts, often
