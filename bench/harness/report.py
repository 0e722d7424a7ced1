"""`bench.py report`: a recall-vs-QPS plot per data set and a markdown summary, from the results CSV."""
import os
from collections import OrderedDict

from . import results


def _f(row, col):
    try:
        return float(row[col])
    except (KeyError, ValueError):
        return None


def _n(v, digits=0):
    if v is None:
        return ""
    return f"{v:,.{digits}f}"


def _series(rows):
    """Search rows grouped by (system, method, build), in the order they were measured."""
    groups = OrderedDict()
    for r in rows:
        if r["kind"] == "search" and _f(r, "recall") is not None:
            groups.setdefault((r["system"], r["method"], r["build"]), []).append(r)
    return groups


def plot(rows, dataset, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 6))
    for (system, method, build), rs in _series(rows).items():
        rs = sorted(rs, key=lambda r: _f(r, "recall"))
        x, y = [_f(r, "recall") for r in rs], [_f(r, "qps_1") for r in rs]
        label = f"{system} {method}" + (f" ({build})" if build else "")
        line, = ax.plot(x, y, marker="o", label=label)
        for r, xi, yi in zip(rs, x, y):
            if r["setting"]:
                ax.annotate(r["setting"].split("=")[-1], (xi, yi), fontsize=7, xytext=(3, 3),
                            textcoords="offset points", color=line.get_color())
    for r in rows:
        if r["kind"] == "floor" and _f(r, "qps_1"):
            ax.axhline(_f(r, "qps_1"), linestyle="--", color="grey", linewidth=1)
            ax.annotate(f"SQL floor, {r['system']} (1 client)", (0.0, _f(r, "qps_1")), fontsize=7,
                        xycoords=("axes fraction", "data"), xytext=(4, 3), textcoords="offset points")
    ax.set_yscale("log")
    ax.set_xlabel("recall@" + rows[0]["k"])
    ax.set_ylabel("queries per second, 1 client (log)")
    nq = sorted({int(r["queries"]) for r in rows if r["queries"]})
    nq = f"{nq[0]}" if len(nq) == 1 else f"{nq[0]}-{nq[-1]}"
    ax.set_title(f"{dataset}: {rows[0]['n']} x {rows[0]['dim']}, {nq} queries (up and right is better)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def summary(rows, dataset):
    """Markdown for one data set: search rows, then the SQL floor and the write rows."""
    k = rows[0]["k"]
    out = [f"### {dataset} ({rows[0]['n']} x {rows[0]['dim']}, k={k})", "",
           f"| system | index | build options | search setting | queries | recall@{k} | QPS 1 client | "
           "QPS N clients | p50 ms | p99 ms | build s | index MB | other CPU |",
           "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for (system, method, build), rs in _series(rows).items():
        for r in rs:
            many = f"{_n(_f(r, 'qps_n'))} ({r['clients']})" if _f(r, "qps_n") else ""
            out.append(f"| {system} | {method} | {build} | {r['setting']} | {r['queries']} | "
                       f"{_n(_f(r, 'recall'), 3)} | {_n(_f(r, 'qps_1'))} | {many} | {_n(_f(r, 'p50_ms'), 2)} | "
                       f"{_n(_f(r, 'p99_ms'), 2)} | {_n(_f(r, 'build_s'), 1)} | {_n(_f(r, 'index_mb'), 1)} | "
                       f"{_n(_f(r, 'other_cpu'), 2)} |")
    other = [r for r in rows if r["kind"] in ("floor", "insert", "mixed", "from-empty")]
    if other:
        out += ["", "| system | index | what | setting | ops/s 1 client | ops/s N clients | p50 ms | p99 ms | "
                "other CPU | note |", "|---|---|---|---|---:|---:|---:|---:|---:|---|"]
        for r in other:
            many = f"{_n(_f(r, 'qps_n'))} ({r['clients']})" if _f(r, "qps_n") else ""
            out.append(f"| {r['system']} | {r['method']} | {r['kind']} | {r['setting']} | {_n(_f(r, 'qps_1'))} | "
                       f"{many} | {_n(_f(r, 'p50_ms'), 2)} | {_n(_f(r, 'p99_ms'), 2)} | {_n(_f(r, 'other_cpu'), 2)} | "
                       f"{r['note']} |")
    busy = [_f(r, "other_cpu") for r in rows if _f(r, "other_cpu") is not None]
    if busy and max(busy) > 0.2:
        out += ["", f"Other processes kept up to {max(busy):.2f} of {os.cpu_count()} cores busy during one-client "
                "timings (column 'other CPU'): those rows are noisy."]
    return "\n".join(out) + "\n"


def run(a, common=None):
    rows = results.read(a.csv)
    out_dir = os.path.dirname(os.path.abspath(a.csv))
    by_set = OrderedDict()
    for r in rows:
        by_set.setdefault(r["dataset"], []).append(r)
    parts = ["# Benchmark summary", "",
             f"From `{os.path.relpath(a.csv)}`. QPS is the median over repeated passes; p50/p99 are one-client "
             "latencies; reference libraries (hnswlib, FAISS) run in process on one thread, without SQL.", ""]
    for dataset, rs in by_set.items():
        png = os.path.join(out_dir, f"{dataset}.png")
        if _series(rs):
            plot(rs, dataset, png)
            parts.append(f"![{dataset}]({os.path.basename(png)})\n")
        parts.append(summary(rs, dataset))
    path = os.path.join(out_dir, "summary.md")
    with open(path, "w") as f:
        f.write("\n".join(parts))
    print("\n".join(parts[4:]) if len(parts) > 4 else "(no rows)")
    print(f"wrote {path}")
