"""The distributed engine: Apache Spark (PySpark), for data that outgrows one machine.

It runs the same SQL as the DuckDB engine: each query, written in DuckDB's dialect, is
transpiled to Spark SQL with sqlglot. Tables made by signals are cached DataFrames
registered as temporary views. Tests run it in local mode.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import sqlglot

from unmask.engine.base import BatchFn, Capabilities, Engine, GroupFn
from unmask.store import STORED_VIEWS, Store, derived_views, table_schema


def transpile(query: str) -> str:
    """DuckDB SQL -> Spark SQL."""
    return ";\n".join(sqlglot.transpile(query, read="duckdb", write="spark"))


class SparkEngine(Engine):
    name = "spark"
    capabilities = Capabilities(plans_grow=True)

    def __init__(self, store: Store, master: str | None = None) -> None:
        from pyspark.sql import SparkSession

        # Python workers (map_batches) run this interpreter, which has unmask, unless the
        # deployment says otherwise (the JVM reads it when it starts).
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        self.store = store
        self.spark = (
            SparkSession.builder.master(master or os.environ.get("UNMASK_SPARK_MASTER", "local[2]"))
            .appName("unmask")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", os.environ.get("UNMASK_SPARK_PARTITIONS", "4"))
            .config("spark.default.parallelism", os.environ.get("UNMASK_SPARK_PARTITIONS", "4"))
            .config("spark.ui.enabled", "false")
            .config("spark.sql.ansi.enabled", "false")
            # Python workers (map_batches) run this interpreter, which has unmask, unless
            # the deployment says otherwise.
            .config("spark.pyspark.python", os.environ.get("PYSPARK_PYTHON", sys.executable))
            .getOrCreate()
        )
        self._cached: dict[str, object] = {}
        self._registered: list[Path] = []
        for view, table in STORED_VIEWS:
            files = store.files(table)
            sch = table_schema(table)
            if files:
                df = self.spark.read.parquet(*[str(f) for f in files]).select(*sch.names)
            else:
                df = self.spark.createDataFrame([], _spark_schema(sch))
            df.createOrReplaceTempView(view)
        for view, query in derived_views().items():
            self.spark.sql(transpile(query)).createOrReplaceTempView(view)

    def create_table(self, name: str, query: str) -> None:
        self._keep(name, self.spark.sql(transpile(query)))

    def create_table_from_parquet(self, name: str, path: Path) -> None:
        # Through the reader, not SQL: sqlglot makes read_parquet('...') a `...` identifier,
        # in which Spark reads a quote or backtick of the path differently.
        self._keep(name, self.spark.read.parquet(str(path)))

    def _keep(self, name: str, df) -> None:
        """Cache ``df``, computed now, as the view ``name`` (in place of an older one)."""
        df = df.cache()
        df.count()
        old = self._cached.pop(name, None)
        if old is not None:
            old.unpersist()
        self._cached[name] = df
        df.createOrReplaceTempView(name)

    def drop(self, *names: str) -> None:
        for n in names:
            df = self._cached.pop(n, None)
            if df is not None:
                df.unpersist()
            self.spark.catalog.dropTempView(n)

    def register(self, name: str, table: pa.Table) -> None:
        # Through Parquet: no pandas needed, and Spark reads the types as written.
        import pyarrow.parquet as pq

        # The file stays until close(): a cached frame that is evicted is read again.
        tmp = Path(tempfile.mkdtemp(prefix="unmask-spark-"))
        self._registered.append(tmp)
        pq.write_table(table, tmp / "t.parquet")
        self._keep(name, self.spark.read.parquet(str(tmp / "t.parquet")))

    def map_batches(self, name: str, query: str, fn: BatchFn, schema: pa.Schema) -> None:
        self._keep(
            name,
            self.spark.sql(transpile(query)).mapInArrow(
                lambda batches: (fn(b) for b in batches if b.num_rows), _spark_schema(schema)
            ),
        )

    def map_groups(self, name: str, queries: list[str], fn: GroupFn, schema: pa.Schema) -> None:
        from pyspark.sql import functions as F

        frames = [
            self.spark.sql(transpile(q)).withColumn("_unmask_group", F.lit(i))
            for i, q in enumerate(queries)
        ]
        df = frames[0]
        for f in frames[1:]:
            df = df.unionByName(f)

        # A partition holds whole groups (perhaps several): fn sees each group at once.
        def run(batches):
            parts = [b.drop_columns(["_unmask_group"]) for b in batches if b.num_rows]
            if parts:
                yield from fn(pa.Table.from_batches(parts)).to_batches()

        self._keep(
            name,
            df.repartition(len(queries), "_unmask_group").mapInArrow(run, _spark_schema(schema)),
        )

    def fetch(self, query: str) -> pa.Table:
        return self.spark.sql(transpile(query)).toArrow()

    def write_parquet(self, query: str, path: Path) -> None:
        tmp = Path(tempfile.mkdtemp(prefix="unmask-spark-"))
        try:
            self.spark.sql(transpile(query)).coalesce(1).write.mode("overwrite").parquet(
                str(tmp / "out")
            )
            part = next((tmp / "out").glob("part-*.parquet"))
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(part, path)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def close(self) -> None:
        for df in self._cached.values():
            df.unpersist()
        self._cached.clear()
        for tmp in self._registered:
            shutil.rmtree(tmp, ignore_errors=True)
        self._registered.clear()


def _spark_schema(sch: pa.Schema):
    from pyspark.sql import types as T

    def conv(t: pa.DataType):
        if pa.types.is_timestamp(t):
            return T.TimestampType()
        if pa.types.is_list(t):
            return T.ArrayType(conv(t.value_type))
        if pa.types.is_binary(t):
            return T.BinaryType()
        return {
            pa.string(): T.StringType(),
            pa.int64(): T.LongType(),
            pa.bool_(): T.BooleanType(),
            pa.float64(): T.DoubleType(),
        }[t]

    return T.StructType([T.StructField(f.name, conv(f.type), True) for f in sch])
