"""DuckDB connections as the product opens every one: the threads it may use, no progress bar.

Every DuckDB connection of the product (a cohort's chunks, the Parquet reader and writer, a
FHIR Bulk Data export's store) comes from :func:`open_duckdb`, so none of them starts more
threads than the process may run or draws on standard output.
"""

from __future__ import annotations

import os

import duckdb


def usable_cores() -> int:
    """The cores this process may run on: DuckDB's thread count unless told otherwise.

    DuckDB starts a thread per core of the machine even when the process is pinned to fewer
    (``taskset``, a container's CPU set); the extra threads then take turns on the same core,
    which made a pinned batch about 1.6 times slower.
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # no CPU affinity on this platform (macOS, Windows)
        return max(1, os.cpu_count() or 1)


DuckDBConfig = dict[str, str | bool | int | float | list[str]]


def open_duckdb(database: str = ":memory:", config: DuckDBConfig | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection as the product opens every one: a thread per usable core unless
    ``config`` says otherwise, and no progress bar.

    In an interactive session (Python's prompt, a notebook, ``python -c``) DuckDB draws a
    progress bar on standard output, terminal or not, for any statement that runs over two
    seconds: a batch run from there and writing its answers to standard output would get
    the bar among its lines.
    """
    settings: DuckDBConfig = {"threads": usable_cores(), **(config or {})}
    connection = duckdb.connect(database, config=settings)
    connection.execute("SET enable_progress_bar = false")  # a connection's setting, not one ``config`` takes
    return connection


__all__ = ["DuckDBConfig", "open_duckdb", "usable_cores"]
