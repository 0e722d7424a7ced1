"""The results CSV: one row per (system, index, build options, search setting, kind of measurement)."""
import csv
import os
import time

# kind: search (recall/QPS/latency of k-NN queries), floor (a trivial prepared query carrying the same vector),
# insert (single-row INSERTs, one client), mixed (N clients, inserts interleaved with searches).
# server_us: the backend's CPU time per query during the one-client timing (when the server is on this
# machine). other_cpu: cores busy with other processes during the one-client timing (noise); load1: load average.
COLUMNS = ["dataset", "system", "method", "opclass", "build", "setting", "kind", "k", "n", "dim", "queries",
           "recall", "qps_1", "p50_ms", "p99_ms", "server_us", "qps_n", "clients", "build_s", "index_mb", "plan",
           "other_cpu", "load1", "note", "time"]


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.6g}"
    return "" if v is None else str(v)


def append(path, row):
    """Appends one row (missing columns left empty) and echoes it to stdout."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    row = dict(row, load1=round(os.getloadavg()[0], 2), time=time.strftime("%Y-%m-%dT%H:%M:%S"))
    unknown = set(row) - set(COLUMNS)
    if unknown:
        raise ValueError(f"unknown result columns {sorted(unknown)}")
    new = not os.path.exists(path) or os.path.getsize(path) == 0
    with open(path, "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        if new:
            w.writeheader()
        w.writerow({c: _fmt(row.get(c)) for c in COLUMNS})
    shown = {c: _fmt(row.get(c)) for c in COLUMNS if row.get(c) not in (None, "") and c not in ("time",)}
    print("  " + ", ".join(f"{c}={v}" for c, v in shown.items()), flush=True)


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def options(pairs):
    """'a=1,b=2' (or a list of such strings) -> {'a': '1', 'b': '2'}, order kept."""
    out = {}
    for text in pairs if isinstance(pairs, list) else [pairs]:
        for item in filter(None, (text or "").split(",")):
            if "=" not in item:
                raise SystemExit(f"expected name=value, got '{item}'")
            k, v = item.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def sweep(text):
    """'hnsw.ef_search=10,20,40' -> ('hnsw.ef_search', ['10', '20', '40']); empty -> (None, [None])."""
    if not text:
        return None, [None]
    if "=" not in text:
        raise SystemExit(f"--sweep wants name=v1,v2,..., got '{text}'")
    name, values = text.split("=", 1)
    return name.strip(), [v.strip() for v in values.split(",") if v.strip()]


def describe(opts):
    return ",".join(f"{k}={v}" for k, v in opts.items())
