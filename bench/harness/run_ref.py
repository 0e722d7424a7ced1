"""`bench.py ref`: in-process reference libraries (hnswlib, FAISS) on the same data and queries.

Builds use --build-threads; searches run one query at a time on one thread, like one SQL client.
"""
import os
import tempfile
import time

import numpy as np

from . import data, noise, results

LIBS = ["hnswlib", "faiss-flat", "faiss-ivf", "faiss-ivfpq", "faiss-hnsw"]


def add_arguments(p):
    p.add_argument("--lib", required=True, choices=LIBS)
    p.add_argument("--with", dest="with_", action="append", default=[],
                   help="build options: hnswlib/faiss-hnsw m,ef_construction; faiss-ivf nlist; "
                        "faiss-ivfpq nlist,m,nbits")
    p.add_argument("--build-threads", type=int, default=os.cpu_count())


def _version(module):
    v = getattr(module, "__version__", None)
    if v is None:
        try:
            from importlib.metadata import version
            v = version(module.__name__)
        except Exception:
            v = ""
    return f"{module.__name__}-{v}" if v else module.__name__


class _Hnswlib:
    method, sweep_default = "hnsw", "ef"

    def __init__(self, ds, opts, threads):
        import hnswlib
        self.system = _version(hnswlib)
        space = data.METRICS[ds.metric][2]
        self.index = hnswlib.Index(space=space, dim=ds.dim)
        self.index.init_index(max_elements=ds.n, M=int(opts.get("m", 16)),
                              ef_construction=int(opts.get("ef_construction", 64)), random_seed=100)
        self.index.set_num_threads(threads)
        self.index.add_items(ds.train, np.arange(ds.n))
        self.index.set_num_threads(1)

    def size(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "index.bin")
            self.index.save_index(path)
            return os.path.getsize(path)

    def set(self, name, value):
        if name != "ef":
            raise SystemExit(f"hnswlib sweeps 'ef', not '{name}'")
        self.index.set_ef(int(value))

    def search(self, q, k):
        return self.index.knn_query(q, k)[0][0]


class _Faiss:
    def __init__(self, ds, opts, threads, kind):
        import faiss
        self.faiss, self.system = faiss, _version(faiss)
        self.note = f"faiss build {faiss.get_compile_options().strip()}"
        d = ds.dim
        self.normalize = ds.metric == "angular"
        metric = faiss.METRIC_L2 if ds.metric == "euclidean" else faiss.METRIC_INNER_PRODUCT
        faiss.omp_set_num_threads(threads)
        X = self._prep(ds.train)
        if kind == "flat":
            self.method, self.sweep_default = "flat", None
            self.index = faiss.IndexFlat(d, metric)
        elif kind == "hnsw":
            self.method, self.sweep_default = "hnsw", "efSearch"
            self.index = faiss.IndexHNSWFlat(d, int(opts.get("m", 16)), metric)
            self.index.hnsw.efConstruction = int(opts.get("ef_construction", 64))
        else:
            nlist = int(opts.get("nlist", max(1, int(4 * np.sqrt(ds.n)))))
            self.quantizer = faiss.IndexFlat(d, metric)
            if kind == "ivf":
                self.method = "ivfflat"
                self.index = faiss.IndexIVFFlat(self.quantizer, d, nlist, metric)
            else:
                self.method = "ivfpq"
                m, nbits = int(opts.get("m", d // 4 if d % 4 == 0 else 1)), int(opts.get("nbits", 8))
                self.index = faiss.IndexIVFPQ(self.quantizer, d, nlist, m, nbits, metric)
            self.sweep_default = "nprobe"
            self.index.train(X)
        self.index.add(X)
        faiss.omp_set_num_threads(1)

    def _prep(self, X):
        X = np.ascontiguousarray(X, dtype=np.float32)
        if self.normalize:
            X = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-30)
        return np.ascontiguousarray(X, dtype=np.float32)

    def size(self):
        return self.faiss.serialize_index(self.index).size

    def set(self, name, value):
        if name == "nprobe":
            self.index.nprobe = int(value)
        elif name == "efSearch":
            self.index.hnsw.efSearch = int(value)
        else:
            raise SystemExit(f"FAISS {self.method} has no search setting '{name}'")

    def search(self, q, k):
        return self.index.search(self._prep(q[None, :]), k)[1][0]


def _make(lib, ds, opts, threads):
    if lib == "hnswlib":
        return _Hnswlib(ds, opts, threads)
    return _Faiss(ds, opts, threads, lib.split("-", 1)[1])


def _pass(index, queries, k, keep):
    lat = np.empty(len(queries))
    res = []
    start = time.perf_counter()
    for i, q in enumerate(queries):
        t = time.perf_counter()
        ids = index.search(q, k)
        lat[i] = time.perf_counter() - t
        if keep:
            res.append(ids)
    return len(queries) / (time.perf_counter() - start), lat, res


def run(a, common):
    ds = data.load(a.data, a.queries)
    opts = results.options(a.with_)
    print(f"== {a.lib} {ds.name}: {ds.n} x {ds.dim} {ds.metric}, {len(ds.test)} queries", flush=True)
    t0 = time.perf_counter()
    index = _make(a.lib, ds, opts, a.build_threads)
    build_s = time.perf_counter() - t0
    name, values = results.sweep(a.sweep)
    base = dict(common, dataset=ds.name, system=index.system, method=index.method, kind="search", k=a.k,
                n=ds.n, dim=ds.dim, queries=len(ds.test), build_s=build_s, index_mb=index.size() / 2**20,
                build=results.describe(dict(opts, threads=a.build_threads)),
                note="in process, 1 thread" + (f"; {index.note}" if getattr(index, "note", "") else ""))
    print(f"  built in {build_s:.1f} s on {a.build_threads} threads", flush=True)
    queries = np.ascontiguousarray(ds.test, dtype=np.float32)
    for value in values:
        if name:
            index.set(name, value)
        with noise.OtherCpu([os.getpid()]) as other:
            _pass(index, queries[:max(1, a.warmup)], a.k, False)
            runs = [_pass(index, queries, a.k, i == 0) for i in range(a.repeats)]
        lat = np.concatenate([r[1] for r in runs]) * 1000.0
        results.append(a.csv, dict(base, setting=f"{name}={value}" if name else "",
                                   recall=data.recall(ds, runs[0][2], a.k),
                                   qps_1=float(np.median([r[0] for r in runs])),
                                   p50_ms=float(np.percentile(lat, 50)), p99_ms=float(np.percentile(lat, 99)),
                                   other_cpu=other.cores))
