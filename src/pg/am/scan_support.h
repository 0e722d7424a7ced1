// Scan and insert glue shared by piramid's ordering-only access methods (hnsw, ivf, ivfflat). Plain glue:
// Postgres context.
#pragma once

#include "pg/am/opclass.h"
#include "pg/guard.h"
#include "pg/postgres_headers.h"

extern "C" {
#include "access/genam.h"
#include "access/relscan.h"
}

namespace piramid::pg {

// ambeginscan's part every method does the same way: the scan descriptor, with room for one distance
// per ORDER BY key.
IndexScanDesc begin_ordered_scan(Relation index, int nkeys, int norderbys);

// amrescan's part every method does the same way: copies the new scan keys and ORDER BY keys.
void store_scan_keys(IndexScanDesc scan, ScanKey keys, ScanKey orderbys);

// The first amgettuple of a scan: errors unless it is ordered (ORDER BY col <op> value) and uses an MVCC
// snapshot (collected TIDs are returned later, which only MVCC makes safe), then counts the scan.
void start_ordered_scan(IndexScanDesc scan, const char* access_method);

// aminsert's entry: values that cannot be indexed (a zero vector under cosine) are skipped; otherwise
// insert(index, value, heap_tid) runs as C++ (guarded).
template <class Insert>
void insert_indexable(Relation index, Datum value, ItemPointer heap_tid, Insert&& insert) {
  const OpclassInfo info = index_opclass_info(index);
  PlainValue plain;
  if (!extract_value(info, value, &plain)) return;
  const ItemPointerData tid = *heap_tid;
  guard([&] { insert(index, plain, tid); });
}

}  // namespace piramid::pg
