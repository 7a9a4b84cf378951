"""Reading a bulk file: a header row, then one row per recipient.

CSV is read as UTF-8 (a BOM allowed) when it decodes as UTF-8, else as GBK (what Excel saves
on a Chinese Windows); anything else is refused with the byte that failed.  XLSX needs the
``xlsx`` extra (openpyxl), read-only and values only (formulas give their cached result).
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from ...i18n import _

#: Header names taken as the recipients' column (case and spaces ignored).
MOBILE_COLUMNS = ("mobile", "phone", "手机", "手机号", "手机号码", "号码")
MAX_BYTES = 200 * 1024 * 1024


class SourceError(ValueError):
    """The file cannot be read as a table: the message says why."""


@dataclass
class Table:
    path: Path
    encoding: str  # utf-8, gbk or xlsx
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (row number in the file, cells); the header is row 1
    sha1: str

    def column(self, names: tuple[str, ...] = MOBILE_COLUMNS) -> int | None:
        wanted = {n.casefold() for n in names}
        for i, name in enumerate(self.header):
            if name.strip().casefold() in wanted:
                return i
        return None


def decode(data: bytes) -> tuple[str, str]:
    """``(text, encoding)``: UTF-8 (BOM or not) first, then GBK."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gbk"), "gbk"
    except UnicodeDecodeError as exc:
        raise SourceError(
            _("not UTF-8 or GBK text: byte {byte} at offset {offset}").format(
                byte=f"0x{data[exc.start]:02x}", offset=exc.start
            )
        ) from None


def read_table(path: str | Path) -> Table:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise SourceError(_("{path}: larger than 200 MB").format(path=path))
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: {exc.strerror or exc}") from None
    sha1 = hashlib.sha1(data).hexdigest()
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        header, rows = _xlsx(data)
        encoding = "xlsx"
    else:
        text, encoding = decode(data)
        header, rows = _csv(text)
    if not header or not any(h.strip() for h in header):
        raise SourceError(_("{path}: no header row").format(path=path))
    return Table(path, encoding, [h.strip() for h in header], rows, sha1)


def _csv(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    first = text.split("\n", 1)[0]
    # Commas, as Excel writes CSV; a header with none but tabs or semicolons says otherwise.
    delimiter = "," if "," in first else "\t" if "\t" in first else ";" if ";" in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = list(reader)
    except csv.Error as exc:
        raise SourceError(_("CSV row {n}: {error}").format(n=reader.line_num, error=exc)) from None
    if not records:
        return [], []
    return records[0], [(i, r) for i, r in enumerate(records[1:], start=2) if any(r)]


def _xlsx(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        import openpyxl
    except ImportError:
        raise SourceError(
            _("XLSX needs openpyxl: pip install 'fivec-tui[xlsx]' (or save the sheet as CSV)")
        ) from None
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise SourceError(_("not a readable XLSX file: {error}").format(error=exc)) from None
    sheet = book.worksheets[0]
    records = [
        (i, [_cell(v) for v in values])
        for i, values in enumerate(sheet.iter_rows(values_only=True), start=1)
    ]
    book.close()
    if not records:
        return [], []
    return records[0][1], [(i, r) for i, r in records[1:] if any(r)]


def _cell(value: object) -> str:
    """A cell as text; a number stored as a float (13800138000.0) loses its ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
