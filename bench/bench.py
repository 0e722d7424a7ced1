#!/usr/bin/python3
"""piramid benchmark harness. Subcommands: pg, ref, report, gen. See bench/README.md.

Runs under Debian's /usr/bin/python3 (python3-psycopg, -numpy, -h5py, -matplotlib, -hnswlib, -faiss);
bench/install-deps installs them.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def _measured(p):
    """Options shared by the subcommands that measure searches."""
    p.add_argument("--data", required=True, help="ann-benchmarks HDF5 file (train/test/neighbors/distances)")
    p.add_argument("--csv", required=True, help="results CSV to append to")
    p.add_argument("--queries", type=int, default=1000, help="use the first N test vectors (0: all)")
    p.add_argument("-k", "--k", type=int, default=10)
    p.add_argument("--sweep", help="search setting and values, e.g. hnsw.ef_search=10,20,40 (pg) or ef=10,20 (ref)")
    p.add_argument("--warmup", type=int, default=200, help="untimed queries before each timed setting")
    p.add_argument("--repeats", type=int, default=3, help="timed passes (and client rounds); the median counts")
    p.add_argument("--clients", type=int, default=4, help="concurrent client processes (pg; <=1: skip)")
    p.add_argument("--seconds", type=float, default=3.0, help="length of one concurrent round (pg)")


def main(argv=None):
    from harness import report, run_pg, run_ref, synth

    ap = argparse.ArgumentParser(prog="bench.py", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pg", help="measure an index (or exact scan) on a running Postgres")
    _measured(p)
    run_pg.add_arguments(p)
    p.set_defaults(func=run_pg.run)
    p = sub.add_parser("ref", help="measure an in-process reference library (hnswlib, FAISS)")
    _measured(p)
    run_ref.add_arguments(p)
    p.set_defaults(func=run_ref.run)
    p = sub.add_parser("report", help="plot and summarise a results CSV")
    p.add_argument("--csv", required=True)
    p.set_defaults(func=report.run)
    p = sub.add_parser("gen", help="write a synthetic clustered data set with exact ground truth")
    synth.add_arguments(p)
    p.set_defaults(func=lambda a, common: synth.generate(a))
    a = ap.parse_args(argv)
    if getattr(a, "queries", None) == 0:
        a.queries = None
    a.func(a, {})


if __name__ == "__main__":
    main()
