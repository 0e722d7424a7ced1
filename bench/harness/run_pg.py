"""`bench.py pg`: load a data set into Postgres, build an index, sweep a search setting, measure writes."""
import re
import sys
import time

import numpy as np

from . import clients, data, pg, results

# The SQL floor: binds and parses the same vector and returns k int4 rows like a search, touching no table.
# (Ten rows cost this Python client about 50 us more than one, so a one-row floor would flatter the index.)
def floor_sql(k):
    return f"SELECT g FROM generate_series(1, {int(k)}) g WHERE %b IS NOT NULL"


def add_arguments(p):
    p.add_argument("--dsn", required=True, help="libpq connection string of a running server")
    p.add_argument("--label", help="system name in the results (default: the extension's name-version)")
    p.add_argument("--method", default="none", help="index access method (hnsw, ivfflat, ivf, ...) or 'none' "
                   "for exact search by sequential scan")
    p.add_argument("--opclass", help="operator class (default: <type>_<l2|cosine|ip>_ops from the metric)")
    p.add_argument("--with", dest="with_", action="append", default=[], help="index options, m=16,lists=100")
    p.add_argument("--op", help="distance operator (default from the file's metric: <-> <=> <#>)")
    p.add_argument("--type", default="vector", choices=["vector", "halfvec"], help="column type")
    p.add_argument("--storage", default="plain", choices=["plain", "main", "external", "extended", "default"],
                   help="column storage; plain keeps vectors in the heap page (as ann-benchmarks does)")
    p.add_argument("--table", help="table name (default bench_<dataset>)")
    p.add_argument("--reload", action="store_true", help="reload the table even if it holds this data set")
    p.add_argument("--maintenance-work-mem", default="2GB")
    p.add_argument("--parallel-workers", type=int, default=0, help="max_parallel_maintenance_workers")
    p.add_argument("--set", action="append", default=[], help="session settings for every connection")
    p.add_argument("--skip-missing", action="store_true", help="skip quietly when the method does not exist")
    p.add_argument("--floor", action="store_true", help="also measure the trivial query (SQL floor)")
    p.add_argument("--inserts", type=int, default=0, help="single-row inserts to time after the searches")
    p.add_argument("--sync-commit", action="store_true", help="inserts with synchronous_commit on (default off)")
    p.add_argument("--mixed-seconds", type=float, default=0, help="seconds per round of mixed insert+search")
    p.add_argument("--write-every", type=int, default=10, help="mixed: every n-th operation is an insert")
    p.add_argument("--from-empty", action="store_true",
                   help="create the index on an empty copy of the table, insert every row one by one "
                        "(synchronous_commit off), VACUUM, then search that table (indexes that train "
                        "themselves, e.g. ivf); reported as kind 'from-empty' rows")


def _insert_vectors(ds, count, seed=7):
    """Rows to insert: base vectors with a little seeded Gaussian noise (new points from the same
    distribution, not exact duplicates of rows already indexed)."""
    rng = np.random.default_rng(seed)
    rows = ds.train[rng.integers(0, ds.n, count)]
    noise = rng.normal(0.0, 0.01, rows.shape) * ds.train[:1000].std(axis=0)
    return (rows + noise).astype(np.float32)


def run(a, common):
    ds = data.load(a.data, a.queries)
    op_default, suffix, _ = data.METRICS[ds.metric]
    op = a.op or op_default
    opclass = a.opclass or f"{a.type}_{suffix}_ops"
    sets = results.options(a.set)
    with_opts = results.options(a.with_)
    sweep_name, sweep_values = results.sweep(a.sweep)
    conn = pg.connect(a.dsn, sets, a.type)
    info = pg.server_info(conn)
    system = a.label or info["extension"]
    if a.method != "none" and not pg.has_access_method(conn, a.method):
        msg = f"access method '{a.method}' does not exist on this server ({system})"
        if a.skip_missing:
            print(f"skip: {msg}")
            return
        raise SystemExit(msg)
    table = a.table or pg.table_name(ds)
    print(f"== {system} ({info['server']}) {ds.name}: {ds.n} x {ds.dim} {ds.metric}, {len(ds.test)} queries, "
          f"method {a.method}", flush=True)
    load_s = pg.load_table(conn, ds, table, a.type, a.storage, reuse=not a.reload)
    print(f"  table {table}: " + ("reused" if load_s is None else f"loaded in {load_s:.1f} s") +
          f", {pg.table_bytes(conn, table) / 2**20:.0f} MB", flush=True)

    base = dict(common, dataset=ds.name, system=system, method=a.method, k=a.k, n=ds.n, dim=ds.dim,
                queries=len(ds.test))
    if a.method == "none":
        pg.drop_indexes(conn, table)
        base.update(opclass="", build="")
    elif a.from_empty:
        table = _fill_from_empty(a, ds, conn, table, opclass, with_opts, sets, base)
        base.update(opclass=opclass, build="from-empty " + results.describe(with_opts))
    else:
        build_s, size, _ = pg.build_index(conn, table, a.method, opclass, with_opts, a.maintenance_work_mem,
                                          a.parallel_workers)
        base.update(opclass=opclass, build_s=build_s, index_mb=size / 2**20,
                    build=results.describe(dict(with_opts, mwm=a.maintenance_work_mem,
                                                workers=a.parallel_workers)))
        print(f"  index built in {build_s:.1f} s, {size / 2**20:.1f} MB", flush=True)

    qparams = pg.params(ds.test, a.type)
    raw = [bytes(p) for p in qparams]
    search_sql = f"SELECT id FROM {table} ORDER BY embedding {op} %b LIMIT {int(a.k)}"

    if a.floor:
        m = clients.measure_one_client(conn, floor_sql(a.k), qparams, a.warmup, a.repeats)
        qps_n = _many(a, clients.Spec(a.dsn, sets, a.type, floor_sql(a.k), raw))
        results.append(a.csv, dict(base, kind="floor", setting=f"k rows, no table (k={int(a.k)})", qps_1=m["qps_1"],
                                   p50_ms=m["p50_ms"], p99_ms=m["p99_ms"], server_us=m["server_us"], qps_n=qps_n,
                                   clients=a.clients, other_cpu=m["other_cpu"]))

    for value in sweep_values:
        run_sets = dict(sets)
        if sweep_name:
            run_sets[sweep_name] = value
            conn.execute("SELECT set_config(%s, %s, false)", (sweep_name, value))
        plan = pg.plan_summary(conn, search_sql, qparams[0])
        notes = []
        if a.method != "none" and "Index" not in plan:
            notes.append(f"WARNING: the plan does not use the index ({plan})")
        if sweep_name and not pg.is_real_setting(conn, sweep_name):
            notes.append(f"WARNING: the server does not define setting {sweep_name} (a typo, or the extension "
                         "lacks it): the sweep has no effect")
        for n in notes:
            print(f"  {n}", file=sys.stderr, flush=True)
        note = "; ".join(notes)
        m = clients.measure_one_client(conn, search_sql, qparams, a.warmup, a.repeats)
        qps_n = _many(a, clients.Spec(a.dsn, run_sets, a.type, search_sql, raw))
        results.append(a.csv, dict(base, kind="search", setting=f"{sweep_name}={value}" if sweep_name else "",
                                   recall=data.recall(ds, m["results"], a.k), qps_1=m["qps_1"],
                                   p50_ms=m["p50_ms"], p99_ms=m["p99_ms"], server_us=m["server_us"], qps_n=qps_n,
                                   clients=a.clients, plan=plan, note=note, other_cpu=m["other_cpu"]))

    if a.inserts > 0:
        _writes(a, ds, conn, table, base, run_sets, search_sql, raw)
    conn.close()


def _fill_from_empty(a, ds, conn, table, opclass, with_opts, sets, base):
    """Creates <table>_from_empty with its index while empty, inserts every row one by one, VACUUMs,
    and reports the three steps; returns the new table's name (ids match the data set's rows)."""
    etable = f"{table}_from_empty"
    conn.execute(f"DROP TABLE IF EXISTS {etable}")
    conn.execute(f"CREATE TABLE {etable} (id int4, embedding {a.type}({ds.dim}))")
    if a.storage != "default":
        conn.execute(f"ALTER TABLE {etable} ALTER COLUMN embedding SET STORAGE {a.storage.upper()}")
    create_s, _, name = pg.build_index(conn, etable, a.method, opclass, with_opts, a.maintenance_work_mem,
                                       a.parallel_workers)
    wconn = pg.connect(a.dsn, dict(sets, synchronous_commit="off"), a.type)
    m = clients.measure_inserts(wconn, f"INSERT INTO {etable} (id, embedding) VALUES (%b, %b)", 0,
                                pg.params(ds.train, a.type))
    wconn.close()
    t0 = time.perf_counter()
    conn.execute(f"VACUUM {etable}")
    vacuum_s = time.perf_counter() - t0
    size = conn.execute("SELECT pg_relation_size(%s::regclass)", (name,)).fetchone()[0]
    free = _free_pages(conn, name)
    free_note = "" if free is None else f", {free * 8192 / 2**20:.1f} MB of it free pages that lists grow into"
    print(f"  from empty: index created in {create_s:.2f} s, {ds.n} single-row inserts at {m['qps_1']:.0f}/s, "
          f"VACUUM {vacuum_s:.1f} s, index {size / 2**20:.1f} MB{free_note}", flush=True)
    results.append(a.csv, dict(base, kind="from-empty", setting="single-row inserts, then VACUUM",
                               qps_1=m["qps_1"], p50_ms=m["p50_ms"], p99_ms=m["p99_ms"], build_s=vacuum_s,
                               index_mb=size / 2**20, note=f"{ds.n} rows into an index created empty; build_s "
                               f"is the VACUUM that trains it{free_note}", other_cpu=m["other_cpu"]))
    return etable


def _free_pages(conn, index):
    """Pages on a piramid ivf index's free list, or None for other indexes."""
    if not conn.execute("SELECT to_regproc('piramid_ivf_info') IS NOT NULL").fetchone()[0]:
        return None
    am = conn.execute("SELECT amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE c.oid = %s::regclass",
                      (index,)).fetchone()[0]
    if am not in ("ivf", "ivfflat"):
        return None
    info = conn.execute("SELECT piramid_ivf_info(%s::regclass)", (index,)).fetchone()[0]
    found = re.search(r"free_pages=(\d+)", info)
    return int(found.group(1)) if found else 0


def _many(a, spec):
    if a.clients <= 1 or a.seconds <= 0:
        return None
    return clients.measure_clients(spec, a.clients, a.seconds, a.repeats)[0]


def _writes(a, ds, conn, table, base, search_sets, search_sql, raw):
    """Single-row inserts from one client, then N clients mixing inserts into searches (at the last
    sweep setting). The added rows and the index are removed afterwards, so the table can be reused."""
    insert_sql = f"INSERT INTO {table} (id, embedding) VALUES (%b, %b)"
    commit = {"synchronous_commit": "on" if a.sync_commit else "off"}
    vecs = _insert_vectors(ds, a.inserts)
    wconn = pg.connect(a.dsn, dict(search_sets, **commit), a.type)
    m = clients.measure_inserts(wconn, insert_sql, ds.n, pg.params(vecs, a.type))
    wconn.close()
    setting = f"synchronous_commit={commit['synchronous_commit']}"
    results.append(a.csv, dict(base, kind="insert", setting=setting, qps_1=m["qps_1"], p50_ms=m["p50_ms"],
                               p99_ms=m["p99_ms"], note=f"{a.inserts} rows into {ds.n}", other_cpu=m["other_cpu"]))
    if a.mixed_seconds > 0 and a.clients >= 1:
        spec = clients.Spec(a.dsn, dict(search_sets, **commit), a.type, search_sql, raw, insert_sql,
                            [bytes(p) for p in pg.params(vecs, a.type)], a.write_every, ds.n + a.inserts)
        total, searches, inserts = clients.measure_clients(spec, a.clients, a.mixed_seconds, a.repeats)
        at = ",".join(f"{k}={v}" for k, v in search_sets.items() if k not in results.options(a.set))
        setting = "; ".join(filter(None, [f"1 insert per {a.write_every} ops", at, setting]))
        results.append(a.csv, dict(base, kind="mixed", setting=setting, qps_n=total, clients=a.clients,
                                   note=f"searches/s={searches:.0f} inserts/s={inserts:.0f}"))
    pg.remove_rows_from(conn, table, ds.n)
