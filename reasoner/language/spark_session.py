"""Start the Spark session a batch runs on, and say in one line why Spark failed.

pyspark is an optional extra (``pip install 'backspasm[spark]'``): like :mod:`spark_engine`,
this module is imported by ``batch --engine spark`` alone. The session is quiet (Spark's own
logging on standard error, errors only), has no web UI, and leaves the partitioning of its
tables to the engine (:func:`session_config`).
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Mapping
from importlib import resources

from py4j.protocol import Py4JError
from pyspark.errors import PySparkException
from pyspark.logger import PySparkLogger
from pyspark.sql import SparkSession

from ..errors import EvaluationError

DEFAULT_MASTER = "local[*]"
DRIVER_MEMORY = "4g"
"""The Java heap of the process that starts Spark; in local mode the whole engine's."""
CODEGEN_FROM_SUBJECTS = 10_000
"""Runs of fewer subjects skip whole-stage code generation (bench/spark_benchmark.py)."""
LOG_CONFIG = "spark-log4j2.properties"
"""Spark's own logging while a batch runs: errors only, and on standard error (package data)."""
QUERY_LOGGERS = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")


def session_config(master: str) -> dict[str, str]:
    """The Spark settings of a batch: quiet, no web UI, partitions laid out by the engine.

    Adaptive execution is off because every wave's partitioning is chosen here and must be
    kept for joins on the subject to need no shuffle; the co-partitioning setting lets a
    join on the subject and more columns use tables partitioned by the subject alone.
    Only the subject-independent tables are broadcast (by a hint): a broadcast of any
    other table would be a job of its own, and so would a runtime bloom filter. Empty
    relations are not pruned from plans: pruning a union's first branch renames its
    columns, and a kept table would no longer know that it is partitioned by subject.
    """
    log_config = resources.files(__package__).joinpath(LOG_CONFIG)
    return {
        "spark.master": master,
        "spark.app.name": "backspasm",
        "spark.driver.memory": DRIVER_MEMORY,
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.adaptive.enabled": "false",
        "spark.sql.requireAllClusterKeysForCoPartition": "false",
        "spark.sql.autoBroadcastJoinThreshold": "-1",
        "spark.sql.optimizer.runtime.bloomFilter.enabled": "false",
        "spark.sql.optimizer.excludedRules": "org.apache.spark.sql.catalyst.optimizer.PropagateEmptyRelation",
        "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile={log_config}",
    }


class SparkError(EvaluationError):
    """Spark could not start, or stopped a run: the first line of its own message, no Java trace."""


def active_session() -> SparkSession | None:
    return SparkSession.getActiveSession()


def spark_session(master: str = DEFAULT_MASTER, config: Mapping[str, str] | None = None) -> SparkSession:
    """The session of this process (started with :func:`session_config` when there is none)."""
    builder = SparkSession.builder
    for key, value in {**session_config(master), **(config or {})}.items():
        builder = builder.config(key, value)
    for name in QUERY_LOGGERS:
        # pyspark logs a failed query's context on standard error; the error itself is reported.
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)
    session = _start(builder, master)
    session.sparkContext.setLogLevel("FATAL")
    return session


def _start(builder: SparkSession.Builder, master: str) -> SparkSession:
    """``getOrCreate`` with the Java process's standard error sent to a temporary file.

    A Java process started here keeps that file as its standard error for its life: its
    start-up notices never reach the terminal, and the last of them explains a failed start.
    """
    sys.stderr.flush()
    with tempfile.TemporaryFile(prefix="backspasm-spark-") as java_output:
        saved = os.dup(2)
        os.dup2(java_output.fileno(), 2)
        try:
            return builder.getOrCreate()
        except (PySparkException, Py4JError, OSError) as error:
            java_output.seek(0)
            said = [line for line in java_output.read().decode("utf-8", "replace").splitlines() if line.strip()]
            detail = f" ({said[-1].strip()})" if said else ""
            raise SparkError(f"Spark did not start with master {master!r}: {first_line(error)}{detail}") from None
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def first_line(error: BaseException) -> str:
    """What went wrong, in one line: the Java exception behind a Py4J error if there is one."""
    java = getattr(error, "java_exception", None)
    text = (str(java) if java is not None else str(error)).strip()
    return text.splitlines()[0] if text else type(error).__name__


__all__ = ["DEFAULT_MASTER", "SparkError", "active_session", "first_line", "session_config", "spark_session"]
