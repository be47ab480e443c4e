"""Scheduled gap reports: one place, one date, what changed since last time.

:func:`build` gathers the analysis and what a reader needs to trust it into
a JSON-ready document; :func:`render_html` (one self-contained file),
:func:`render_md` and :func:`write_csv` lay it out; :func:`compare` says what
changed since an earlier ``report.json``; :func:`write_report` writes a
report folder. Only reads the store, through :class:`~ecosystem.service.Ecomap`.
"""

from ecosystem.report.build import (
    CLIFF_BANDS,
    FORMAT_VERSION,
    UNMET_THRESHOLD,
    Report,
    ReportError,
    build,
    read_previous,
)
from ecosystem.report.compare import FAIL_ON, compare, failed_conditions
from ecosystem.report.csvs import csv_tables, write_csv
from ecosystem.report.html import render_html
from ecosystem.report.markdown import render_md
from ecosystem.report.write import FORMATS, PdfUnavailable, attach_previous, write_pdf, write_report

__all__ = [
    "build", "Report", "ReportError", "read_previous", "render_html", "render_md", "write_csv", "csv_tables",
    "compare", "failed_conditions", "attach_previous", "write_report", "write_pdf", "PdfUnavailable",
    "FORMATS", "FAIL_ON", "CLIFF_BANDS", "FORMAT_VERSION", "UNMET_THRESHOLD",
]
