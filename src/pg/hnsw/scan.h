// Index scans: ORDER BY col <op> query LIMIT n, with iterative continuation for filtered queries.
#pragma once

#include "pg/postgres_headers.h"

extern "C" {
#include "access/amapi.h"
#include "access/relscan.h"
}

namespace piramid::pg::hnsw {

IndexScanDesc begin_scan(Relation index, int nkeys, int norderbys);
void rescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys, int norderbys);
bool get_tuple(IndexScanDesc scan, ScanDirection direction);
void end_scan(IndexScanDesc scan);

}  // namespace piramid::pg::hnsw
