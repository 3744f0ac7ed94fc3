"""`python -m melody` (also what torchrun starts)."""

import sys

from melody.cli.program import main

sys.exit(main())
