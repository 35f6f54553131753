"""PDF basics shared by every printable document: fonts with Polish letters.

reportlab's built-in fonts lack ą, ę, ł, ś, ź, ż…; DejaVu Sans ships with matplotlib
(already a dependency for charts), so no system font package is needed.
"""

from functools import cache
from pathlib import Path

import matplotlib
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"


@cache
def register_fonts() -> tuple[str, str]:
    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(fonts / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(fonts / "DejaVuSans-Bold.ttf")))
    return FONT, FONT_BOLD
