"""Timed loops against the server: one client in this process, N clients as separate processes.

A client process is spawned (not forked) with a picklable Spec, opens its own connection, prepares its
statements, warms up, and then runs timed rounds that all clients start together at a barrier.
"""
import multiprocessing as mp
import os
import queue
import time
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np

from . import noise, pg

BARRIER_TIMEOUT_S = 300


def _execute(cur, sql, args):
    cur.execute(sql, args, prepare=True, binary=True)
    return cur.fetchall() if cur.description else None


def search_pass(cur, sql, params, keep_results=True):
    """Runs every parameter once in order. Returns (wall seconds, per-query latencies, result id lists)."""
    lat = np.empty(len(params))
    results = []
    start = time.perf_counter()
    for i, p in enumerate(params):
        t = time.perf_counter()
        rows = _execute(cur, sql, (p,))
        lat[i] = time.perf_counter() - t
        if keep_results:
            results.append([r[0] for r in rows])
    return time.perf_counter() - start, lat, results


def measure_one_client(conn, sql, params, warmup, repeats):
    """Warm-up pass, then `repeats` timed passes: median QPS, p50/p99 over all passes, first pass's results,
    the cores other processes used meanwhile, and the backend's CPU time per query (µs; None when the server
    is on another machine): the server's share of a query, apart from this client and the round trip."""
    backend = conn.info.backend_pid
    with conn.cursor() as cur, noise.OtherCpu([os.getpid(), backend]) as other:
        search_pass(cur, sql, params[:max(1, warmup)], keep_results=False)
        ns0 = noise.run_ns(backend)
        walls, lats, first = [], [], None
        for _ in range(repeats):
            wall, lat, results = search_pass(cur, sql, params, keep_results=first is None)
            walls.append(len(params) / wall)
            lats.append(lat)
            first = first if first is not None else results
        ns1 = noise.run_ns(backend)
    server_us = (ns1 - ns0) / 1000.0 / (len(params) * repeats) if ns0 is not None and ns1 is not None else None
    lat = np.concatenate(lats) * 1000.0
    return {"qps_1": float(np.median(walls)), "p50_ms": float(np.percentile(lat, 50)),
            "p99_ms": float(np.percentile(lat, 99)), "server_us": server_us, "results": first,
            "other_cpu": other.cores}


def measure_inserts(conn, sql, first_id, params, warmup=20):
    """Single-row autocommit INSERTs from one client: rows/s and p50/p99 latency (warm-up rows untimed)."""
    with conn.cursor() as cur, noise.OtherCpu([os.getpid(), conn.info.backend_pid]) as other:
        lat = np.empty(max(0, len(params) - warmup))
        start = None
        for i, p in enumerate(params):
            if i == warmup:
                start = time.perf_counter()
            t = time.perf_counter()
            _execute(cur, sql, (first_id + i, p))
            if i >= warmup:
                lat[i - warmup] = time.perf_counter() - t
        wall = time.perf_counter() - start if start else float("nan")
    lat *= 1000.0
    return {"qps_1": len(lat) / wall, "p50_ms": float(np.percentile(lat, 50)),
            "p99_ms": float(np.percentile(lat, 99)), "other_cpu": other.cores}


@dataclass
class Spec:
    """What one client process runs. write_every: 0 = searches only, n = every n-th operation inserts."""
    dsn: str
    sets: dict
    typ: str
    search_sql: Optional[str]
    search_params: List[bytes]
    insert_sql: Optional[str] = None
    insert_params: List[bytes] = field(default_factory=list)
    write_every: int = 0
    first_id: int = 0
    warmup: int = 20


def _client(spec, worker, nworkers, seconds, rounds, barrier, out):
    try:
        conn = pg.connect(spec.dsn, spec.sets, spec.typ)
        cur = conn.cursor()
        sp = [pg.VecParam(p) for p in spec.search_params]
        ip = [pg.VecParam(p) for p in spec.insert_params]
        pos = worker * len(sp) // nworkers
        for i in range(spec.warmup):
            _execute(cur, spec.search_sql, (sp[(pos + i) % len(sp)],))
        out.put(("ready", worker))
        op = 0
        next_id = spec.first_id + worker
        for r in range(rounds):
            barrier.wait(BARRIER_TIMEOUT_S)
            searches = inserts = 0
            start = time.perf_counter()
            deadline = start + seconds
            while time.perf_counter() < deadline:
                op += 1
                if spec.write_every and op % spec.write_every == 0:
                    _execute(cur, spec.insert_sql, (next_id, ip[(next_id // nworkers) % len(ip)]))
                    next_id += nworkers
                    inserts += 1
                else:
                    _execute(cur, spec.search_sql, (sp[pos % len(sp)],))
                    pos += 1
                    searches += 1
            out.put((r, searches, inserts, time.perf_counter() - start))
        conn.close()
    except BaseException as e:  # report, and release the others from the barrier
        out.put(("error", worker, repr(e)))
        barrier.abort()


def _get(out, procs, timeout):
    """The next message from the clients; fails at once if one died without saying why."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            msg = out.get(timeout=1.0)
        except queue.Empty:
            dead = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
            if dead:
                raise RuntimeError(f"a client process died (exit code {dead[0]})")
            if time.monotonic() > deadline:
                raise RuntimeError("clients did not answer in time")
            continue
        if msg[0] == "error":
            raise RuntimeError(f"client {msg[1]} failed: {msg[2]}")
        return msg


def measure_clients(spec, clients, seconds, rounds):
    """`clients` processes run the spec for `seconds`, `rounds` times: median total (ops/s, searches/s,
    inserts/s) over rounds. Each process's rate uses its own elapsed time (the last op may overrun)."""
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(clients + 1)
    out = ctx.Queue()
    procs = [ctx.Process(target=_client, args=(spec, w, clients, seconds, rounds, barrier, out))
             for w in range(clients)]
    for p in procs:
        p.start()
    totals = []
    try:
        for _ in range(clients):  # connected and warmed up: the barrier below will not wait long
            _get(out, procs, BARRIER_TIMEOUT_S)
        for _ in range(rounds):
            barrier.wait(BARRIER_TIMEOUT_S)
            got = [_get(out, procs, seconds + BARRIER_TIMEOUT_S) for _ in range(clients)]
            s = sum(g[1] / g[3] for g in got)
            i = sum(g[2] / g[3] for g in got)
            totals.append((s + i, s, i))
    except BaseException:
        barrier.abort()
        raise
    finally:
        for p in procs:
            p.join(timeout=seconds + 30)
            if p.is_alive():
                p.terminate()
    return tuple(float(np.median([t[j] for t in totals])) for j in range(3))
