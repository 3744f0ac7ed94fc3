"""`python cli.py ...` from a checkout: the same as the `melody` command."""

import sys

from melody.cli.program import main

if __name__ == "__main__":
    sys.exit(main())
