"""A raster copy of a chart, for the one format that needs one (DOCX).

Pure: no Flask app, no database. WeasyPrint (already needed for the PDF) draws the SVG onto a page of
exactly its size, PDFium (``pypdfium2``, a self-contained wheel) turns that page into pixels; so the
PNG shows the same chart in the same font as the PDF, with no Cairo or other system library.
"""

import io
import re

import pypdfium2
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from facilitation.exports.pdf import chart_uri, font_faces, fonts

#: Pixels of the PNG's width: sharp when printed 16 cm wide (~250 dpi).
PNG_WIDTH = 1600


def svg_size(svg: str) -> tuple[float, float]:
    """Width and height of a chart from its ``viewBox``."""
    found = re.search(r'viewBox="\s*[-\d.]+\s+[-\d.]+\s+([\d.]+)\s+([\d.]+)\s*"', svg)
    if not found:
        raise ValueError("chart without a viewBox")
    return float(found.group(1)), float(found.group(2))


def png(svg: str, width: int = PNG_WIDTH) -> bytes:
    """The chart as PNG bytes, ``width`` pixels wide."""
    svg_width, svg_height = svg_size(svg)
    font_config = FontConfiguration()
    page = CSS(
        string="\n".join(font_faces(fonts())) + f"@page {{ size: {svg_width}px {svg_height}px; margin: 0 }} "
        f"html, body {{ margin: 0 }} img {{ display: block; width: {svg_width}px; height: {svg_height}px }}",
        font_config=font_config,
    )
    document = HTML(string=f'<img src="{chart_uri(svg)}" alt="">').write_pdf(
        stylesheets=[page], font_config=font_config
    )
    pdf = pypdfium2.PdfDocument(document)
    try:
        first = pdf[0]
        try:
            # A CSS pixel is 0.75 PDF points; PDFium renders one point per pixel at scale 1.
            bitmap = first.render(scale=width / (svg_width * 0.75))
            try:
                image = bitmap.to_pil()
                buffer = io.BytesIO()
                image.save(buffer, format="PNG")
                return buffer.getvalue()
            finally:
                bitmap.close()
        finally:
            first.close()
    finally:
        pdf.close()
