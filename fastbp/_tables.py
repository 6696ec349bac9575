"""Data files of the command line: a CSV or Parquet table in, predictions out.

CSV needs nothing beyond the standard library and NumPy; Parquet is read with pandas
(and pyarrow or fastparquet), which the command names when missing. Every error is
a :class:`TableError` whose message names the file, column and row at fault.
"""

import csv
import sys
from pathlib import Path

import numpy as np


class TableError(ValueError):
    """A data file fastbp cannot use, with what to do about it."""


def read_table(path):
    """``(columns, values)`` of a CSV or Parquet file with a header row.

    ``values`` maps each column name to a 1-d array of its cells: float64 where
    every cell is a number, else strings (a classification target may be text).
    """
    path = Path(path)
    if not path.is_file():
        raise TableError(f"{path}: no such file.")
    if path.suffix.lower() in (".parquet", ".pq"):
        return _read_parquet(path)
    return _read_csv(path)


def _read_csv(path):
    with open(path, newline="", encoding="utf-8-sig") as stream:
        reader = csv.reader(stream)
        header = next(reader, None)
        if not header:
            raise TableError(f"{path}: empty file; a header row of column names is needed.")
        columns = [name.strip() for name in header]
        _check_header(path, columns)
        rows = []
        for number, row in enumerate(reader, start=2):
            if not row:
                continue  # a blank line
            if len(row) != len(columns):
                raise TableError(
                    f"{path}, line {number}: {len(row)} values, but the header names "
                    f"{len(columns)} columns."
                )
            rows.append(row)
    if not rows:
        raise TableError(f"{path}: no data rows under the header.")
    cells = np.array(rows, dtype=object).T
    return columns, {name: _typed(cells[j]) for j, name in enumerate(columns)}


def _read_parquet(path):
    try:
        import pandas as pd

        frame = pd.read_parquet(path)
    except ImportError as error:
        raise TableError(
            f"{path}: reading Parquet needs pandas and pyarrow "
            f"(pip install pandas pyarrow): {error}"
        ) from None
    except Exception as error:  # pyarrow's and pandas' own errors
        raise TableError(f"{path}: not a readable Parquet file ({error}).") from None
    columns = [str(name) for name in frame.columns]
    _check_header(path, columns)
    if frame.shape[0] == 0:
        raise TableError(f"{path}: no data rows.")
    values = {}
    for name, column in zip(columns, frame.columns):
        series = frame[column]
        if series.dtype.kind in "biuf":
            values[name] = series.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            values[name] = _typed(series.to_numpy(dtype=object))
    return columns, values


def _check_header(path, columns):
    seen = set()
    for name in columns:
        if not name:
            raise TableError(f"{path}: a column has no name in the header row.")
        if name in seen:
            raise TableError(f"{path}: the header names column '{name}' twice.")
        seen.add(name)


def _typed(cells):
    """Numbers as float64 (empty cells NaN) if every non-empty cell is one, else str."""
    texts = np.array(["" if c is None else str(c).strip() for c in cells], dtype=object)
    numbers = np.full(texts.shape[0], np.nan)
    for i, text in enumerate(texts):
        if text in ("", "nan", "NaN", "NA"):
            continue
        try:
            numbers[i] = float(text)
        except ValueError:
            return texts.astype(str)
    return numbers


def feature_matrix(path, values, features):
    """The float64 matrix of the ``features`` columns, with errors that name the
    missing, non-numeric or empty cell."""
    missing = [name for name in features if name not in values]
    if missing:
        raise TableError(f"{path}: no column named {', '.join(map(repr, missing))}.")
    for name in features:
        column = values[name]
        if column.dtype.kind != "f":
            bad = next(i for i, text in enumerate(column) if not _is_number(text))
            raise TableError(
                f"{path}, column '{name}', data row {bad + 1}: '{column[bad]}' is not a "
                "number. Every feature column must hold numbers (encode text columns "
                "first, or drop them from the file)."
            )
        if not np.isfinite(column).all():
            bad = int(np.flatnonzero(~np.isfinite(column))[0])
            raise TableError(
                f"{path}, column '{name}', data row {bad + 1}: the value is missing or "
                "not finite. Fill in or drop such rows first (e.g. impute)."
            )
    return np.column_stack([values[name] for name in features])


def _is_number(text):
    try:
        return np.isfinite(float(text))
    except ValueError:
        return False


def write_column(name, cells, output=None):
    """Write a one-column (or several-column, for a 2-d ``cells``) CSV with a header
    to ``output``, or to standard output."""
    cells = np.asarray(cells)
    names = [name] if cells.ndim == 1 else list(name)
    rows = cells.reshape(cells.shape[0], -1)
    stream = sys.stdout if output is None else open(output, "w", newline="")
    try:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(names)
        for row in rows:
            writer.writerow([_cell(value) for value in row])
    finally:
        if output is not None:
            stream.close()


def _cell(value):
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, np.generic):
        return value.item()
    return value
