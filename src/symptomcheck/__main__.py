"""`python -m symptomcheck` runs the command line, as `symptomcheck` does."""

from symptomcheck.cli import main

main()
