"""Test settings shared by every test file.

Hypothesis runs derandomized: the property tests draw the same examples on
every run, so CI is reproducible like the seeded statistical tests.
"""

from hypothesis import settings

settings.register_profile("ccsim", derandomize=True, deadline=None)
settings.load_profile("ccsim")
