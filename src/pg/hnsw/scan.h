// Index scans: ORDER BY col <op> query LIMIT n, with iterative continuation for filtered queries.
#pragma once

#include "pg/postgres_headers.h"

extern "C" {
#include "access/amapi.h"
#include "access/relscan.h"
}

namespace piramid::pg::hnsw {

// The beam search keeps a beam of this many times hnsw.ef_search nodes: navigation codes only estimate
// distances, so a wider beam gives about the recall that an ef_search-wide search with precise distances
// (pgvector's) gives. A scan returns the ef_search nearest of them (like pgvector, at most ef_search rows
// without iterative scans).
inline size_t beam_for(int ef_search) { return static_cast<size_t>(ef_search) * 3 / 2; }

IndexScanDesc begin_scan(Relation index, int nkeys, int norderbys);
void rescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys, int norderbys);
bool get_tuple(IndexScanDesc scan, ScanDirection direction);
void end_scan(IndexScanDesc scan);

}  // namespace piramid::pg::hnsw
