"""The README's portal screenshots: one folder (docs/portal/), written only when asked (``PORTAL_README_SHOTS=1``).

The files are committed, so a plain test run leaves them alone; pngquant keeps them small.
"""

import os
import shutil
import subprocess
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs" / "portal"


def readme_shot(page, name, *, full_page=False):
    """A small, optimised PNG of the page (the window only unless ``full_page``) as docs/portal/<name>.png."""
    if os.environ.get("PORTAL_README_SHOTS") != "1":
        return
    DOCS.mkdir(parents=True, exist_ok=True)
    path = DOCS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    if shutil.which("pngquant"):
        subprocess.run(["pngquant", "--force", "--skip-if-larger", "--strip", "--output", str(path), "64", str(path)],
                       check=False, timeout=60)
