"""The PDF report, made with Qt only (no browser): A4 pages, a contents list with page numbers,
page numbers in a footer, embedded images and selectable text.

The report's Qt flavour of HTML (:func:`mlops_desktop.reports.html.render_qt_html`) is laid
out by a :class:`QTextDocument` at 96 px per inch on A4 pages; the page of each section is
read back from the layout, the contents list is filled in and the document laid out again,
then each page is painted onto a :class:`QPdfWriter` with its footer. Works with no display
(``QT_QPA_PLATFORM=offscreen``).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QMarginsF,
    QRectF,
    QSizeF,
    Qt,
    QUrl,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPalette,
    QPdfWriter,
    QPen,
    QTextBlock,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)

from mlops_desktop.qt.application import ensure_gui_application
from mlops_desktop.qt.reports.figures import render_images
from mlops_desktop.reports.html import ReportError, ordinary_file_mode, render_qt_html
from mlops_desktop.reports.model import Figure, ReportData

__all__ = [
    "ReportDocument",
    "ensure_gui_application",
    "export_report",
    "render_images",
    "report_format",
    "write_pdf",
]

DOC_DPI = 96.0  # the document's px per inch (the CSS of the Qt template is in px)
PDF_DPI = 300
MM = DOC_DPI / 25.4
PAGE_W, PAGE_H = 210 * MM, 297 * MM
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 17 * MM, 16 * MM, 20 * MM
CONTENT_W, CONTENT_H = PAGE_W - 2 * MARGIN_X, PAGE_H - MARGIN_TOP - MARGIN_BOTTOM
MIN_ROOM_AFTER_HEADING = 150  # px of content a heading needs below it on its page
MAX_HEADING_MOVES = 40

Progress = Callable[[float, str], None]
log = logging.getLogger(__name__)


# ------------------------------------------------------------------------------ images
def figure_image(fig: Figure) -> QImage | None:
    """A figure as a QImage: its PNG, else its SVG rendered at twice its size."""
    if fig.png:
        img = QImage.fromData(QByteArray(fig.png), "PNG")  # type: ignore[arg-type]  # a str format
        if not img.isNull():
            return img
    if fig.svg:
        from PySide6.QtSvg import QSvgRenderer

        renderer = QSvgRenderer(QByteArray(fig.svg.encode("utf-8")))
        if renderer.isValid():
            size = renderer.defaultSize()
            w, h = max(size.width(), 1) * 2, max(size.height(), 1) * 2
            img = QImage(w, h, QImage.Format.Format_ARGB32)
            img.fill(QColor("white"))
            painter = QPainter(img)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            renderer.render(painter)
            painter.end()
            return img
    return None


# ---------------------------------------------------------------------------- document
class ReportDocument:
    """The laid-out report: a QTextDocument split into A4 pages."""

    def __init__(self, data: ReportData) -> None:
        ensure_gui_application()  # fonts and images need a Qt application
        self.data = data
        self.doc = QTextDocument()
        font = QFont("DejaVu Sans")
        font.setPixelSize(13)
        self.doc.setDefaultFont(font)
        self.doc.setDocumentMargin(0)
        self.doc.setPageSize(QSizeF(CONTENT_W, CONTENT_H))
        self._names: dict[int, str] = {}
        self._register_images()
        self.section_pages: dict[str, int] = {}
        self._lay_out()

    def _register_images(self) -> None:
        for i, fig in enumerate(self.data.figures()):
            img = figure_image(fig)
            if img is None:
                continue
            name = f"report-image-{i}.png"
            self.doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), img)
            self._names[id(fig)] = name

    def _image_name(self, fig: Figure) -> str:
        return self._names.get(id(fig), "")

    def _html(self, pages: dict[str, int]) -> str:
        html = render_qt_html(
            self.data,
            image_name=self._image_name,
            content_width=int(CONTENT_W) - 4,
            toc_pages=pages,
        )
        return html

    def _lay_out(self) -> None:
        pages: dict[str, int] = {}
        moved: list[int] = []
        for _ in range(4):  # page numbers in the contents list may move headings; repeat
            self.doc.setHtml(self._html(pages))
            moved = self._keep_headings_with_content(moved)
            found = self.heading_pages()
            if found == pages:
                break
            pages = found
        self.section_pages = pages

    def _headings(self) -> list[QTextBlock]:
        out = []
        block = self.doc.begin()
        while block.isValid():
            if block.blockFormat().headingLevel() in (1, 2) and block.text().strip():
                out.append(block)
            block = block.next()
        return out

    def _break_before(self, block: QTextBlock, relayout: bool = True) -> None:
        fmt = block.blockFormat()
        fmt.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
        QTextCursor(block).setBlockFormat(fmt)
        if relayout:  # a changed block format leaves parts of the layout stale
            self.doc.markContentsDirty(0, self.doc.characterCount())

    def _keep_headings_with_content(self, earlier: list[int]) -> list[int]:
        """Move a heading to the next page when what follows it (a paragraph and a picture,
        or the first rows of a table) would not fit below it. One heading at a time, top
        down, on a finished layout: each move shifts everything after it. ``earlier``: the
        headings (by position) moved in the previous layout of the same report, which the
        same moves most likely suit again. Returns the headings moved."""
        headings = self._headings()
        moved = [i for i in earlier if i < len(headings)]
        for i in moved:
            self._break_before(headings[i], relayout=False)
        if moved:
            self.doc.markContentsDirty(0, self.doc.characterCount())
        for _ in range(MAX_HEADING_MOVES):
            self.doc.pageCount()  # finishes the layout
            block = self._stranded_heading()
            if block is None:
                break
            self._break_before(block)
            moved.append(next(i for i, h in enumerate(headings) if h == block))
        return moved

    def _stranded_heading(self) -> QTextBlock | None:
        layout = self.doc.documentLayout()
        block = self.doc.begin()
        while block.isValid():
            fmt = block.blockFormat()
            if (
                fmt.headingLevel() in (1, 2)
                and block.text().strip()
                and fmt.pageBreakPolicy() != QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore
            ):
                offset = (layout.blockBoundingRect(block).top() + 1) % CONTENT_H
                if offset > CONTENT_H * 0.1 and CONTENT_H - offset < self._room_needed(block):
                    return block
            block = block.next()
        return None

    def _room_needed(self, heading: QTextBlock) -> float:
        layout = self.doc.documentLayout()
        need = layout.blockBoundingRect(heading).height()
        following = heading.next()
        for _ in range(2):  # e.g. a sentence and the picture it introduces
            if not following.isValid():
                break
            need += layout.blockBoundingRect(following).height()
            following = following.next()
        return min(max(need, MIN_ROOM_AFTER_HEADING), CONTENT_H * 0.55)

    def heading_pages(self) -> dict[str, int]:
        """The page (1-based) of each section heading, by anchor name."""
        layout = self.doc.documentLayout()
        out: dict[str, int] = {}
        block = self.doc.begin()
        while block.isValid():
            if block.blockFormat().headingLevel() == 1:
                it = block.begin()
                while not it.atEnd():
                    for name in it.fragment().charFormat().anchorNames():
                        top = layout.blockBoundingRect(block).top()
                        out.setdefault(name, int((top + 1) // CONTENT_H) + 1)
                    it += 1
            block = block.next()
        return out

    @property
    def page_count(self) -> int:
        return self.doc.pageCount()

    def plain_text(self) -> str:
        return self.doc.toPlainText()

    # ------------------------------------------------------------------ painting
    def paint_page(self, painter: QPainter, index: int) -> None:
        """Paint page ``index`` (0-based) with ``painter`` in document px, page origin at 0,0."""
        painter.save()
        painter.translate(MARGIN_X, MARGIN_TOP)
        # Layout positions are fixed-point: a block that starts a page may sit a hair above
        # the page's top edge. Leave such slivers out, or the previous page would carry its
        # (invisible but extractable) text.
        clip = QRectF(0, index * CONTENT_H + 1, CONTENT_W, CONTENT_H - 2)
        painter.setClipRect(QRectF(0, 0, CONTENT_W, CONTENT_H))
        painter.translate(0, -index * CONTENT_H)
        ctx = QAbstractTextDocumentLayout.PaintContext()
        ctx.clip = clip
        palette = QPalette()
        palette.setColor(QPalette.ColorRole.Text, QColor("#1f2933"))
        palette.setColor(QPalette.ColorRole.Link, QColor("#2457a6"))
        ctx.palette = palette
        self.doc.documentLayout().draw(painter, ctx)
        painter.restore()
        self._paint_footer(painter, index)

    def _paint_footer(self, painter: QPainter, index: int) -> None:
        painter.save()
        top = PAGE_H - MARGIN_BOTTOM + 8 * MM / 2
        painter.setPen(QPen(QColor("#c9d0d6"), 0.6))
        painter.drawLine(
            QRectF(MARGIN_X, top, CONTENT_W, 0).topLeft(),
            QRectF(MARGIN_X, top, CONTENT_W, 0).topRight(),
        )
        font = QFont("DejaVu Sans")
        font.setPixelSize(10)
        painter.setFont(font)
        painter.setPen(QColor("#67707a"))
        box = QRectF(MARGIN_X, top + 4, CONTENT_W, 16)
        left = f"{self.data.project.name} — {self.data.title}"
        metrics = painter.fontMetrics()
        left = metrics.elidedText(left, Qt.TextElideMode.ElideRight, int(CONTENT_W * 0.7))
        painter.drawText(box, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), left)
        painter.drawText(
            box,
            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
            f"Page {index + 1} of {self.page_count}",
        )
        painter.restore()


def write_pdf(
    data: ReportData, path: str | os.PathLike[str], progress: Progress | None = None
) -> Path:
    """Lay out and write the PDF report atomically; returns the path written."""
    ensure_gui_application()
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ReportError(f"cannot write {target}: folder {folder} does not exist")
    if progress:
        progress(0.1, "Laying out pages")
    report = ReportDocument(data)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".pdf", dir=folder)
    except OSError as exc:
        raise ReportError(f"cannot write {target}: {exc.strerror or exc}") from None
    os.close(fd)
    try:
        _print(report, tmp, progress)
        if Path(tmp).stat().st_size == 0:
            raise ReportError(f"cannot write {target}: Qt produced an empty PDF")
        os.chmod(tmp, ordinary_file_mode())  # mkstemp makes it private (0600)
        os.replace(tmp, target)
    except OSError as exc:
        raise ReportError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        Path(tmp).unlink(missing_ok=True)
    return target


def _print(report: ReportDocument, filename: str, progress: Progress | None) -> None:
    writer = QPdfWriter(filename)
    writer.setResolution(PDF_DPI)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(0, 0, 0, 0),
        )
    )
    writer.setTitle(f"{report.data.title} — {report.data.project.name}")
    writer.setCreator("MLOps Desktop")
    painter = QPainter()
    if not painter.begin(writer):
        raise ReportError(f"cannot write {filename}: the PDF could not be started")
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        scale = writer.resolution() / DOC_DPI
        pages = report.page_count
        for index in range(pages):
            if index:
                writer.newPage()
            painter.save()
            painter.scale(scale, scale)
            report.paint_page(painter, index)
            painter.restore()
            if progress:
                progress(0.2 + 0.8 * (index + 1) / pages, f"Page {index + 1} of {pages}")
    finally:
        painter.end()


# ------------------------------------------------------------------ one call for the UI
FORMATS = {".html": "html", ".htm": "html", ".pdf": "pdf"}


def report_format(path: str | os.PathLike[str]) -> str:
    """``"html"`` or ``"pdf"`` from the file name, else a clear error."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        shown = suffix or "no extension"
        raise ReportError(
            f"cannot tell the report format from {shown}; name the file .html or .pdf"
        )
    return FORMATS[suffix]


def export_report(
    workspace: Any,
    project: str | int,
    path: str | os.PathLike[str],
    *,
    run_id: int | None = None,
    lens: str | None = None,
    progress: Progress | None = None,
    registry: Any = None,
    build_in: Callable[[Callable[[Progress], ReportData]], ReportData] | None = None,
) -> Path:
    """Build the report of ``project`` and write it as HTML or PDF (by the file's extension).

    What the GUI's Export report dialog and ``mlops-desktop report`` both call. Gathering
    the report (reads and the assessment, no Qt: seconds for a long history) runs in the
    caller's thread, or by ``build_in``, which is given the gathering as a function of a
    progress callback to call it with and returns its result: the dialog runs it on a
    reader thread. Drawing the figures and writing the file follow in the caller's thread."""
    from mlops_desktop.app.reports import ReportService

    fmt = report_format(path)
    service = ReportService(workspace, registry)

    def scaled(report: Progress | None, start: float, span: float) -> Progress | None:
        if report is None:
            return None
        return lambda fraction, message: report(start + span * fraction, message)

    def gather(report: Progress | None) -> ReportData:
        return service.build(project, run_id, lens, progress=scaled(report, 0.0, 0.4))

    data = gather(progress) if build_in is None else build_in(gather)
    if progress:
        progress(0.4, "Drawing the pipeline and plots")
    render_images(data, progress=scaled(progress, 0.4, 0.2))
    if progress:
        progress(0.6, "Writing the report")
    if fmt == "html":
        written = service.write_html(data, path)
    else:
        written = write_pdf(data, path, progress=scaled(progress, 0.6, 0.4))
    if progress:
        progress(1.0, "Done")
    return written
