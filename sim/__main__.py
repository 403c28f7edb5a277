"""``python -m sim`` is the ``talentwar`` command."""

from sim.cli import main

raise SystemExit(main())
