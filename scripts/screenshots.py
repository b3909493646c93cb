"""Update the screenshots docs/web.md shows (docs/screenshots/*.png): the browser test of every
page, tests/web/test_browser_pages.py, writes them when KAOHE_UPDATE_DOC_SCREENSHOTS=1, beside the
full set it always leaves in build/screenshots/. Run with the project's Python (Pillow needed):

    .venv/bin/python scripts/screenshots.py
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST = "tests/web/test_browser_pages.py"

if __name__ == "__main__":
    command = [sys.executable, "-m", "pytest", "-p", "no:randomly", "-q", TEST]
    environment = {**os.environ, "KAOHE_UPDATE_DOC_SCREENSHOTS": "1"}
    sys.exit(subprocess.call(command, cwd=ROOT, env=environment))
