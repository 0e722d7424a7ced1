"""Data sets in the ann-benchmarks HDF5 layout, their metrics, and recall against exact ground truth."""
import os
from dataclasses import dataclass
from typing import Optional

import h5py
import numpy as np

# ann-benchmarks metric name -> (pgvector operator, opclass suffix, hnswlib space)
METRICS = {
    "euclidean": ("<->", "l2", "l2"),
    "angular": ("<=>", "cosine", "cosine"),
    "dot": ("<#>", "ip", "ip"),
}

# ann-benchmarks counts a result as a hit when its distance is within this of the k-th true distance,
# so that ties at the k-th place are not counted as misses.
TIE_EPSILON = 1e-3


@dataclass
class Dataset:
    name: str
    path: str
    metric: str
    train: np.ndarray  # (n, d) float32
    test: np.ndarray  # (q, d) float32, already cut to the queries in use
    neighbors: np.ndarray  # (q, >=k) int, 0-based rows of train
    distances: Optional[np.ndarray]  # (q, >=k) true distances, or None

    @property
    def n(self):
        return self.train.shape[0]

    @property
    def dim(self):
        return self.train.shape[1]


def load(path, queries=None):
    """Reads an ann-benchmarks file; `queries` keeps only the first N test vectors (same prefix everywhere)."""
    with h5py.File(path, "r") as f:
        metric = f.attrs.get("distance", "euclidean")
        if isinstance(metric, bytes):
            metric = metric.decode()
        if metric not in METRICS:
            raise SystemExit(f"{path}: distance '{metric}' is not supported (use one of {sorted(METRICS)})")
        q = slice(0, queries) if queries else slice(None)
        train = np.ascontiguousarray(f["train"][:], dtype=np.float32)
        test = np.ascontiguousarray(f["test"][q], dtype=np.float32)
        neighbors = np.asarray(f["neighbors"][q])
        distances = np.asarray(f["distances"][q], dtype=np.float64) if "distances" in f else None
    name = os.path.splitext(os.path.basename(path))[0]
    return Dataset(name, path, metric, train, test, neighbors, distances)


def distances_to(metric, q, rows):
    """Exact distances (float64) from query q to each row, in the metric's ann-benchmarks convention."""
    q = q.astype(np.float64)
    rows = rows.astype(np.float64)
    if metric == "euclidean":
        return np.sqrt(((rows - q) ** 2).sum(axis=1))
    dots = rows @ q
    if metric == "angular":
        norms = np.linalg.norm(rows, axis=1) * np.linalg.norm(q)
        return 1.0 - dots / np.where(norms == 0, 1.0, norms)
    return -dots  # dot: negative inner product, smaller is closer


def recall(ds, results, k):
    """Mean recall@k of `results` (one id list per query). Missing or unknown ids count as misses."""
    if ds.neighbors.shape[1] < k:
        raise SystemExit(f"{ds.path}: ground truth has only {ds.neighbors.shape[1]} neighbours, k={k}")
    total = 0.0
    for i, ids in enumerate(results):
        ids = np.asarray(ids[:k], dtype=np.int64)
        ids = ids[(ids >= 0) & (ids < ds.n)]
        if ids.size == 0:
            continue
        if ds.distances is not None:
            kth = ds.distances[i, k - 1]
        else:
            kth = distances_to(ds.metric, ds.test[i], ds.train[ds.neighbors[i, :k]]).max()
        found = distances_to(ds.metric, ds.test[i], ds.train[ids])
        total += np.count_nonzero(found <= kth + TIE_EPSILON) / k
    return total / len(results)
