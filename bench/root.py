"""``--root CHECKOUT``: run a benchmark script of this checkout against another checkout's code.

Imported before anything of the project, so that ``bench`` and the apps come
from that checkout: ``run_all.py --before CHECKOUT`` measures the code before
a change side by side with this one, in one run, with the same script.
"""

import os
import sys
from pathlib import Path


def use(argv=None):
    """Put ``--root``'s checkout (default: this one) first on ``sys.path``; returns it.

    With ``--root``, the working directory becomes that checkout too: Celery's
    Django fixup puts the working directory first on ``sys.path``, so a run
    started inside another checkout would otherwise load that one's apps.
    """
    argv = sys.argv if argv is None else argv
    root = Path(__file__).resolve().parent.parent
    if "--root" in argv:
        root = Path(argv[argv.index("--root") + 1]).resolve()
        os.chdir(root)
    sys.path.insert(0, str(root))
    return root
