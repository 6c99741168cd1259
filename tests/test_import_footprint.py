"""A process answering citizens does not load the officers' heavy libraries:
matplotlib and numpy (charts), openpyxl (sheets) and segno (QR codes) are
imported when a chart, sheet or QR code is first made. Together they are
about 50 MB of a bot process's memory, and importing them delayed the first
message after a start by about 0.4 s."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("matplotlib", "numpy", "openpyxl", "segno", "PIL")

# Everything `python -m bot run` loads, and every feature (as the first
# message loads them).
PROGRAM = """
import sys
import bot.__main__, bot.app
from handlers.registry import FEATURES
import handlers.citizen, handlers.reports, handlers.volunteer, handlers.bank_account
print(",".join(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def test_bot_and_its_features_load_without_the_heavy_libraries():
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM.format(heavy=HEAVY)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == ""


def test_a_chart_a_sheet_and_a_qr_code_are_still_made():
    from handlers.charts import line_chart_png
    from handlers.sheets import xlsx_bytes
    from handlers.vietqr import png

    assert line_chart_png("T", ["1", "2"], [1.0, None]).startswith(b"\x89PNG")
    assert xlsx_bytes("T", ["a"], [["=1"], ["0912"]]).startswith(b"PK")
    assert png("hello").startswith(b"\x89PNG")
