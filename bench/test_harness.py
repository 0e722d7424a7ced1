"""Unit tests of the harness itself (no server, no timings): /usr/bin/python3 -m unittest bench/test_harness.py"""
import argparse
import os
import struct
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import data, encode, noise, results, synth  # noqa: E402


class EncodeTest(unittest.TestCase):
    def test_param_is_pgvector_send_format(self):
        b = encode.param(np.array([1.0, -2.5], dtype=np.float32))
        self.assertEqual(b, struct.pack(">hh", 2, 0) + struct.pack(">ff", 1.0, -2.5))

    def test_halfvec_param(self):
        b = encode.param(np.array([1.0, 0.5]), "halfvec")
        self.assertEqual(b, struct.pack(">hh", 2, 0) + struct.pack(">ee", 1.0, 0.5))

    def test_copy_rows(self):
        X = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float32)
        body = encode.copy_rows(np.array([7, 8]), X)
        one = struct.pack(">hii", 2, 4, 7) + struct.pack(">ihh", 16, 3, 0) + struct.pack(">3f", 1, 2, 3)
        self.assertEqual(body[:len(one)], one)
        self.assertEqual(len(body), 2 * len(one))


class ServerCpuTest(unittest.TestCase):
    def test_schedstat_first_field_is_run_time(self):
        self.assertEqual(noise.parse_schedstat("123456789 42 7\n"), 123456789)

    def test_run_ns_of_this_process_and_of_no_process(self):
        self.assertIsInstance(noise.run_ns(os.getpid()), int)
        self.assertIsNone(noise.run_ns(2**22 + 1))  # above the kernel's pid limit: not on this machine


class OptionsTest(unittest.TestCase):
    def test_options_and_sweep(self):
        self.assertEqual(results.options(["m=16,ef_construction=64", "x=1"]),
                         {"m": "16", "ef_construction": "64", "x": "1"})
        self.assertEqual(results.sweep("hnsw.ef_search=10,20"), ("hnsw.ef_search", ["10", "20"]))
        self.assertEqual(results.sweep(None), (None, [None]))


class RecallTest(unittest.TestCase):
    def _ds(self):
        train = np.array([[0.0], [1.0], [1.0], [3.0]], dtype=np.float32)  # rows 1 and 2 tie
        test = np.array([[0.0]], dtype=np.float32)
        return data.Dataset("t", "t", "euclidean", train, test, np.array([[0, 1, 2, 3]]),
                            np.array([[0.0, 1.0, 1.0, 3.0]]))

    def test_ties_are_hits(self):
        ds = self._ds()
        self.assertEqual(data.recall(ds, [[0, 2]], 2), 1.0)  # row 2 ties with the true 2nd neighbour
        self.assertEqual(data.recall(ds, [[0, 3]], 2), 0.5)
        self.assertEqual(data.recall(ds, [[0]], 2), 0.5)  # too few results count as misses

    def test_without_distances(self):
        ds = self._ds()
        ds.distances = None
        self.assertEqual(data.recall(ds, [[2, 0]], 2), 1.0)


class SynthTest(unittest.TestCase):
    def test_ground_truth_is_exact(self):
        synth.CHUNK = 700  # several chunks, so the running top-k merge is exercised
        for metric in ("euclidean", "angular", "dot"):
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "s.h5")
                a = argparse.Namespace(out=path, n=3000, dim=8, nq=20, clusters=5, metric=metric, gt_k=10,
                                       seed=1)
                synth.generate(a)
                ds = data.load(path)
                self.assertEqual(ds.metric, metric)
                for i in range(len(ds.test)):
                    dist = data.distances_to(metric, ds.test[i], ds.train)
                    order = np.lexsort((np.arange(ds.n), dist))[:10]
                    np.testing.assert_array_equal(ds.neighbors[i], order)
                    np.testing.assert_allclose(ds.distances[i], dist[order], rtol=1e-5, atol=1e-6)
                self.assertEqual(data.recall(ds, ds.neighbors, 10), 1.0)


if __name__ == "__main__":
    unittest.main()
