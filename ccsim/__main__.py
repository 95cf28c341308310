"""``python -m ccsim``: the same command line as the ``ccsim`` console script."""

from ccsim.cli import main

main()
