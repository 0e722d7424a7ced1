"""Binary wire formats of pgvector's types (identical in piramid): COPY BINARY rows and bound parameters.

vector:  int16 dim, int16 unused (0), dim big-endian float4
halfvec: int16 dim, int16 unused (0), dim big-endian float2
"""
import struct

import numpy as np

ELEMENT = {"vector": ">f4", "halfvec": ">f2"}
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
COPY_TRAILER = struct.pack(">h", -1)


def param(vec, typ="vector"):
    """The binary send form of one vector, ready to bind as a parameter."""
    return struct.pack(">hh", len(vec), 0) + np.asarray(vec).astype(ELEMENT[typ]).tobytes()


def copy_rows(ids, X, typ="vector"):
    """COPY BINARY body for rows (id int4, embedding typ), without header and trailer."""
    n, d = X.shape
    el = ELEMENT[typ]
    width = np.dtype(el).itemsize
    row = np.dtype([("nfields", ">i2"), ("idlen", ">i4"), ("id", ">i4"), ("veclen", ">i4"),
                    ("dim", ">i2"), ("unused", ">i2"), ("v", el, (d,))])
    out = np.empty(n, dtype=row)
    out["nfields"] = 2
    out["idlen"] = 4
    out["id"] = ids
    out["veclen"] = 4 + width * d
    out["dim"] = d
    out["unused"] = 0
    out["v"] = X
    return out.tobytes()
