"""The parent's notes as a PDF (fpdf2), in memory only: nothing is written to disk.

DejaVu Sans (Debian's fonts-dejavu-core, or NOTES_FONT_DIR) covers accents and most alphabets. A
character the font cannot draw is printed as "?" rather than dropped with a warning in the log, since
the warning would carry the parent's own words. The document's title and language are set, and the
headings are tagged and listed in the outline (fpdf2 tags section titles; body text is not tagged).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from bot.config import Settings, get_settings
from bot.content.models import fill
from bot.notes.document import Document

DEFAULT_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
REGULAR, BOLD = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"
FAMILY = "DejaVu"
LANGUAGE = "en-GB"
# fontTools lists the glyphs it keeps (so, which letters the parent typed) at INFO, and fpdf2 may name
# text in its warnings: neither may reach a log.
for _name in ("fontTools", "fpdf"):
    logging.getLogger(_name).setLevel(logging.ERROR)
FILE_NAME = "document.pdf"  # neutral: the name says nothing about what is inside
INK = (11, 12, 12)
MUTED = (80, 90, 95)
RULE = (177, 180, 182)


class PdfUnavailable(RuntimeError):
    """The font is missing: the PDF cannot be made on this machine (the printable page still can)."""


def font_dir(settings: Settings | None = None) -> Path:
    """NOTES_FONT_DIR, from the settings given (the web app's), else from this process's own."""
    return (settings or get_settings()).notes_font_dir or DEFAULT_FONT_DIR


def fonts(settings: Settings | None = None) -> tuple[Path, Path]:
    folder = font_dir(settings)
    regular, bold = folder / REGULAR, folder / BOLD
    if not (regular.is_file() and bold.is_file()):
        raise PdfUnavailable(f"{REGULAR} and {BOLD} are not in {folder} (install fonts-dejavu-core)")
    return regular, bold


# fpdf2 and fontTools are imported when the first PDF is made, not with the web service (they took about
# half a second to import, in every process and test worker that loads the web app).


@lru_cache(maxsize=4)
def _drawable(path: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(str(path), lazy=True) as font:
        return frozenset(font.getBestCmap())


def drawable(text: str, regular: Path, bold: Path) -> str:
    """`text` with every character the fonts cannot draw (emoji, some scripts) replaced by "?"."""
    known = _drawable(regular) & _drawable(bold)
    return "".join(ch if ord(ch) in known or ch in "\n\t" else "?" for ch in text)


@lru_cache(maxsize=1)
def _pdf_class() -> type:
    from fpdf import FPDF

    class _Pdf(FPDF):
        page_of: str  # the document's words for the footer, "Page {number} of {pages}" (set before the first page)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(FAMILY, "", 8)
            self.set_text_color(*MUTED)
            # fpdf2 puts the page count where "{nb}" is, once the last page is known
            self.cell(0, 6, fill(self.page_of, number=self.page_no(), pages="{nb}"), align="C")

    return _Pdf


def render_pdf(document: Document) -> bytes:
    """The PDF's bytes. Raises PdfUnavailable where the font is missing."""
    from fpdf import TextStyle
    from fpdf.enums import XPos, YPos

    regular, bold = fonts()

    def text(value: str) -> str:
        return drawable(value, regular, bold)

    pdf = _pdf_class()(format="A4")
    pdf.page_of = document.page_of
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_font(FAMILY, "", str(regular))
    pdf.add_font(FAMILY, "B", str(bold))
    pdf.set_title(text(document.title))
    pdf.set_lang(LANGUAGE)
    pdf.set_creator("Parent support assistant")
    pdf.set_section_title_styles(
        TextStyle(font_family=FAMILY, font_style="B", font_size_pt=16, color=INK, t_margin=4, b_margin=2),
        TextStyle(font_family=FAMILY, font_style="B", font_size_pt=12, color=INK, t_margin=4, b_margin=1),
    )
    pdf.add_page()
    pdf.set_text_color(*INK)
    pdf.set_font(FAMILY, "B", 20)
    pdf.multi_cell(0, 10, text(document.title), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 10)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, 5, text(document.note), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for index, part in enumerate(document.parts):
        if index:
            pdf.add_page()
        pdf.start_section(text(part.heading), level=0)
        pdf.set_font(FAMILY, "", 10)
        pdf.set_text_color(*MUTED)
        pdf.multi_cell(0, 5, text(part.intro), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)
        for block in part.blocks:
            if block.heading:
                pdf.start_section(text(block.heading), level=1)
            pdf.set_text_color(*INK)
            for row in block.rows:
                pdf.set_font(FAMILY, "B", 10)
                pdf.multi_cell(0, 5.5, text(row.label), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                pdf.set_font(FAMILY, "", 11)
                if row.value:
                    pdf.multi_cell(0, 5.5, text(row.value), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                else:  # room to write by hand once printed
                    pdf.set_draw_color(*RULE)
                    for _ in range(2):
                        pdf.ln(7)
                        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
                pdf.ln(2)
            pdf.set_font(FAMILY, "", 11)
            for paragraph in block.paragraphs:
                pdf.multi_cell(0, 5.5, text(paragraph), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                pdf.ln(2)
    return bytes(pdf.output())
