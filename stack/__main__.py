"""`python -m stack COMMAND`: keys, databases, migrate, run."""

from stack.cli import main

main()
