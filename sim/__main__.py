"""``python -m sim`` is the ``talentwar`` command."""

import sys

try:
    from sim.cli import console
except KeyboardInterrupt:  # Ctrl-C while the command's modules load: nothing was written
    from sim.errors import forget_interrupt

    forget_interrupt()
    sys.stderr.write("talentwar: interrupted; nothing incomplete was left behind\n")
    raise SystemExit(130) from None

raise SystemExit(console())
