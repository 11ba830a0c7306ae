"""`python -m companion ...` runs the `unmask` command."""
import sys

from companion.cli import main

sys.exit(main())
