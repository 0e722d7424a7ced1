"""PostgreSQL side: connections with the vector parameter adapter, loading, index builds, plans.

Only pgvector-compatible SQL is used, so the same code measures piramid and pgvector.
"""
import os
import re
import time

import numpy as np
import psycopg
from psycopg import sql
from psycopg.adapt import Dumper
from psycopg.pq import Format

from . import encode


class VecParam(bytes):
    """A vector already in its binary send form; bound as-is, so the client does no per-query encoding."""


def _param_dumper(oid):
    class VecDumper(Dumper):
        format = Format.BINARY

        def dump(self, obj):
            return obj

    VecDumper.oid = oid
    return VecDumper


def connect(dsn, sets=None, typ="vector"):
    """An autocommit connection with `sets` applied (session GUCs) and `typ` parameters bound in binary."""
    conn = psycopg.connect(dsn, autocommit=True)
    oid = conn.execute("SELECT to_regtype(%s)::oid", (typ,)).fetchone()[0]
    if oid is None:
        raise SystemExit(f"type {typ} does not exist: CREATE EXTENSION piramid (or vector) first")
    conn.adapters.register_dumper(VecParam, _param_dumper(oid))
    for name, value in (sets or {}).items():
        conn.execute("SELECT set_config(%s, %s, false)", (name, str(value)))
    return conn


def params(X, typ="vector"):
    return [VecParam(encode.param(v, typ)) for v in X]


def server_info(conn):
    """Server version and which pgvector-compatible extension is installed (name, version)."""
    version = conn.execute("SHOW server_version").fetchone()[0]
    row = conn.execute("SELECT extname, extversion FROM pg_extension WHERE extname IN ('piramid', 'vector') "
                       "ORDER BY extname = 'piramid' DESC LIMIT 1").fetchone()
    ext = f"{row[0]}-{row[1]}" if row else "none"
    return {"server": f"pg{version.split()[0]}", "extension": ext}


def table_name(ds):
    return "bench_" + re.sub(r"\W", "_", ds.name.lower())


def has_access_method(conn, method):
    return conn.execute("SELECT 1 FROM pg_am WHERE amname = %s", (method,)).fetchone() is not None


def _fingerprint(ds, typ, storage):
    st = os.stat(ds.path)
    return f"bench:{ds.path}:{st.st_size}:{int(st.st_mtime)}:{ds.n}:{ds.dim}:{typ}:{storage}"


def load_table(conn, ds, table, typ="vector", storage="plain", reuse=True, chunk=20000):
    """Creates `table (id int4, embedding typ(dim))` and fills it with binary COPY. Returns seconds, or
    None when an identical table (same file, type and storage) was already there and `reuse` is set."""
    fp = _fingerprint(ds, typ, storage)
    if reuse:
        row = conn.execute("SELECT obj_description(to_regclass(%s), 'pg_class')", (table,)).fetchone()
        if row and row[0] == fp:
            return None
    t0 = time.perf_counter()
    conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute(f"CREATE TABLE {table} (id int4, embedding {typ}({ds.dim}))")
    if storage != "default":
        # Vectors over ~2 KB are otherwise moved out of line to TOAST; ann-benchmarks' pgvector module
        # stores them inline too (STORAGE PLAIN), which is what an index build and a scan read fastest.
        conn.execute(f"ALTER TABLE {table} ALTER COLUMN embedding SET STORAGE {storage.upper()}")
    with conn.cursor() as cur:
        with cur.copy(f"COPY {table} (id, embedding) FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(encode.COPY_HEADER)
            for start in range(0, ds.n, chunk):
                X = ds.train[start:start + chunk]
                copy.write(encode.copy_rows(np.arange(start, start + len(X)), X, typ))
            copy.write(encode.COPY_TRAILER)
    # Set hint bits and the visibility map now, so that no timed query pays for them.
    conn.execute(f"VACUUM (FREEZE, ANALYZE) {table}")
    conn.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(sql.Identifier(table), sql.Literal(fp)))
    return time.perf_counter() - t0


def build_index(conn, table, method, opclass, with_opts, maintenance_work_mem, workers):
    """Drops the table's indexes, runs CREATE INDEX, returns (seconds, index bytes, index name)."""
    drop_indexes(conn, table)
    name = f"{table}_{method}_idx"
    with_sql = f" WITH ({', '.join(f'{k} = {v}' for k, v in with_opts.items())})" if with_opts else ""
    conn.execute("SELECT set_config('maintenance_work_mem', %s, false)", (maintenance_work_mem,))
    conn.execute("SELECT set_config('max_parallel_maintenance_workers', %s, false)", (str(workers),))
    conn.execute("CHECKPOINT")
    t0 = time.perf_counter()
    conn.execute(f"CREATE INDEX {name} ON {table} USING {method} (embedding {opclass}){with_sql}")
    seconds = time.perf_counter() - t0
    size = conn.execute("SELECT pg_relation_size(%s::regclass)", (name,)).fetchone()[0]
    return seconds, size, name


def drop_indexes(conn, table):
    for (name,) in conn.execute("SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = "
                                "to_regclass(%s)", (table,)).fetchall():
        conn.execute(f"DROP INDEX {name}")


def table_bytes(conn, table):
    return conn.execute("SELECT pg_table_size(%s::regclass)", (table,)).fetchone()[0]


def is_real_setting(conn, name):
    """False for a name that only exists as a placeholder (set, but defined by no loaded module)."""
    return conn.execute("SELECT 1 FROM pg_settings WHERE name = %s", (name,)).fetchone() is not None


def plan_summary(conn, sql, param):
    """The plan the search statement gets with a bound vector, as 'Limit > Index Scan (idx) > ...'."""
    plan = conn.execute("EXPLAIN (FORMAT JSON) " + sql, (param,)).fetchone()[0][0]["Plan"]
    parts = []
    while plan is not None:
        node = plan["Node Type"]
        if "Index Name" in plan:
            node += f" ({plan['Index Name']})"
        parts.append(node)
        plan = plan.get("Plans", [None])[0]
    return " > ".join(parts)


def remove_rows_from(conn, table, first_id):
    """Undoes the write phase so the table can be reused: the rows it added go, and so do the indexes."""
    drop_indexes(conn, table)
    conn.execute(f"DELETE FROM {table} WHERE id >= %s", (first_id,))
    conn.execute(f"VACUUM (FREEZE, ANALYZE) {table}")
