"""Printing HTML to PDF: headless Chromium when present, else WeasyPrint (``cwb[pdf]``).

The report writes its HTML through :func:`write_pdf`; :func:`pdf_engine` says which
engine will print, so that a command can fail with the install hint before any work.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from cwb import settings
from cwb._atomic import atomic_path
from cwb.errors import CwbError, MissingDependencyError, UsageError

#: Environment variable choosing the PDF engine: ``chromium`` or ``weasyprint``.
PDF_ENGINE_ENV = "CWB_PDF_ENGINE"
#: Environment variable naming the Chromium (or Chrome) binary to print PDFs with.
CHROMIUM_ENV = "CWB_CHROMIUM"
_CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PDF_HINT = (
    "writing a PDF needs headless Chromium (apt install chromium, or set CWB_CHROMIUM to its "
    "path) or cwb's optional 'pdf' dependencies: pip install 'cwb[pdf]'"
)


def pdf_engine() -> str:
    """The PDF engine to use: ``chromium`` first when found, else ``weasyprint``.

    :data:`PDF_ENGINE_ENV` forces one. Raises :class:`MissingDependencyError`
    (with the install hint) when neither is available.
    """
    forced = os.environ.get(PDF_ENGINE_ENV, "").strip().lower()
    if forced not in ("", "chromium", "weasyprint"):
        raise UsageError(f"{PDF_ENGINE_ENV}={forced!r}: use chromium or weasyprint")
    if forced in ("", "chromium") and chromium_binary() is not None:
        return "chromium"
    if forced in ("", "weasyprint") and importlib.util.find_spec("weasyprint") is not None:
        return "weasyprint"
    raise MissingDependencyError(PDF_HINT)


def chromium_binary() -> str | None:
    """The Chromium binary: :data:`CHROMIUM_ENV`, else chromium, google-chrome … on the PATH."""
    named = os.environ.get(CHROMIUM_ENV)
    if named:
        return named if Path(named).is_file() else shutil.which(named)
    for name in _CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def write_pdf(html_text: str, path: str | Path, *, engine: str | None = None) -> Path:
    """Print an HTML page (its print stylesheet, A4) to a PDF file, atomically.

    Parameters
    ----------
    html_text
        A self-contained page (:func:`render_html`).
    path
        The PDF to write.
    engine
        ``chromium`` or ``weasyprint``; default :func:`pdf_engine`.
    """
    engine = engine or pdf_engine()
    path = Path(path)
    with atomic_path(path) as tmp:
        if engine == "weasyprint":
            import weasyprint  # noqa: PLC0415 - optional dependency

            weasyprint.HTML(string=html_text).write_pdf(tmp)
        else:
            _chromium_pdf(html_text, Path(tmp))
    return path


def _chromium_pdf(html_text: str, target: Path) -> None:
    binary = chromium_binary()
    if binary is None:
        raise MissingDependencyError(PDF_HINT)
    with tempfile.TemporaryDirectory(prefix="cwb-pdf-") as folder:
        page = Path(folder) / "report.html"
        page.write_text(html_text, encoding="utf-8")
        command = [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--user-data-dir={folder}/profile",
            f"--print-to-pdf={target}",
            page.as_uri(),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=settings.PDF_TIMEOUT_S
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise CwbError(f"Chromium could not print the report: {exc}") from None
    if done.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-3:])
        raise CwbError(f"Chromium could not print the report (exit {done.returncode}): {tail}")
