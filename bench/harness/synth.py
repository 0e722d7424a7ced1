"""`bench.py gen`: a seeded synthetic clustered data set with exact ground truth, in the ann-benchmarks layout.

Points are drawn from a mixture of Gaussian clusters (uneven sizes and radii) around random centres; the
queries come from the same mixture but are not base points. Ground truth is brute force: FAISS flat proposes
candidates chunk by chunk (float32), which are re-ranked in float64, ties to the lower id, like the files in
../shared/data. Memory stays bounded by the chunk size, so 10M+ points work.
"""
import time

import h5py
import numpy as np

from . import data

CHUNK = 100_000  # fixed: the random stream, and so the data, depends on it
SLACK = 20  # extra float32 candidates per chunk, re-ranked exactly


def add_arguments(p):
    p.add_argument("--out", required=True, help="HDF5 file to write")
    p.add_argument("--n", type=int, default=1_000_000, help="base vectors")
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--nq", type=int, default=1000, help="query vectors")
    p.add_argument("--clusters", type=int, default=1000)
    p.add_argument("--metric", default="euclidean", choices=sorted(data.METRICS))
    p.add_argument("--gt-k", type=int, default=100, help="neighbours kept per query")
    p.add_argument("--seed", type=int, default=42)


class _Mixture:
    def __init__(self, rng, clusters, dim):
        self.rng = rng
        self.centres = rng.normal(0.0, 1.0, (clusters, dim)).astype(np.float32)
        self.radius = rng.uniform(0.2, 0.6, clusters).astype(np.float32)
        w = rng.gamma(2.0, 1.0, clusters)
        self.weights = w / w.sum()

    def sample(self, m):
        c = self.rng.choice(len(self.weights), m, p=self.weights)
        noise = self.rng.standard_normal((m, self.centres.shape[1]), dtype=np.float32)
        return self.centres[c] + noise * self.radius[c, None]


def _exact(metric, Q, X, ids, block=256):
    """float64 distances of each query to its candidate rows ids (q, c) of X, a block of queries at a time."""
    out = np.empty(ids.shape)
    for s in range(0, len(Q), block):
        Q64, C = Q[s:s + block].astype(np.float64)[:, None, :], X[ids[s:s + block]].astype(np.float64)
        if metric == "euclidean":
            out[s:s + block] = np.sqrt(((C - Q64) ** 2).sum(axis=2))
            continue
        dots = (C * Q64).sum(axis=2)
        if metric == "angular":
            dots = dots / (np.linalg.norm(C, axis=2) * np.linalg.norm(Q64, axis=2)) - 1.0
        out[s:s + block] = -dots
    return out


def generate(a):
    import faiss

    rng = np.random.default_rng(a.seed)
    mix = _Mixture(rng, a.clusters, a.dim)
    Q = mix.sample(a.nq)
    k = min(a.gt_k, a.n)
    faiss_metric = faiss.METRIC_L2 if a.metric == "euclidean" else faiss.METRIC_INNER_PRODUCT
    unit = (lambda M: M / np.linalg.norm(M, axis=1, keepdims=True)) if a.metric == "angular" else (lambda M: M)
    best_d = np.full((a.nq, 0), np.inf)
    best_i = np.zeros((a.nq, 0), dtype=np.int64)
    t0 = time.perf_counter()
    with h5py.File(a.out, "w") as f:
        f.attrs["distance"] = a.metric
        f.attrs["generator"] = (f"piramid bench/bench.py gen --n {a.n} --dim {a.dim} --nq {a.nq} "
                                f"--clusters {a.clusters} --metric {a.metric} --seed {a.seed}")
        train = f.create_dataset("train", (a.n, a.dim), dtype="float32")
        for start in range(0, a.n, CHUNK):
            X = mix.sample(min(CHUNK, a.n - start))
            train[start:start + len(X)] = X
            index = faiss.IndexFlat(a.dim, faiss_metric)
            index.add(np.ascontiguousarray(unit(X), dtype=np.float32))
            _, cand = index.search(np.ascontiguousarray(unit(Q), dtype=np.float32), min(k + SLACK, len(X)))
            d = _exact(a.metric, Q, X, cand)
            all_d = np.concatenate([best_d, d], axis=1)
            all_i = np.concatenate([best_i, cand + start], axis=1)
            order = np.lexsort((all_i, all_d), axis=-1)[:, :k]
            best_d = np.take_along_axis(all_d, order, axis=1)
            best_i = np.take_along_axis(all_i, order, axis=1)
            print(f"  {start + len(X):,} / {a.n:,} vectors, {time.perf_counter() - t0:.0f} s", flush=True)
        f.create_dataset("test", data=Q)
        f.create_dataset("neighbors", data=best_i.astype(np.int32))
        f.create_dataset("distances", data=best_d.astype(np.float32))
    print(f"wrote {a.out}: {a.n} x {a.dim} {a.metric}, {a.nq} queries, top-{k} ground truth")
