"""`python -m melody` (also what torchrun starts)."""

import sys

from melody.cli import main

sys.exit(main())
