#include "pg/am/scan_support.h"

extern "C" {
#include "pgstat.h"
#include "utils/snapmgr.h"
}

namespace piramid::pg {

IndexScanDesc begin_ordered_scan(Relation index, int nkeys, int norderbys) {
  IndexScanDesc scan = RelationGetIndexScan(index, nkeys, norderbys);
  scan->xs_orderbyvals = static_cast<Datum*>(palloc0(sizeof(Datum) * Max(1, norderbys)));
  scan->xs_orderbynulls = static_cast<bool*>(palloc(sizeof(bool) * Max(1, norderbys)));
  return scan;
}

void store_scan_keys(IndexScanDesc scan, ScanKey keys, ScanKey orderbys) {
  if (keys && scan->numberOfKeys > 0) memmove(scan->keyData, keys, scan->numberOfKeys * sizeof(ScanKeyData));
  if (orderbys && scan->numberOfOrderBys > 0)
    memmove(scan->orderByData, orderbys, scan->numberOfOrderBys * sizeof(ScanKeyData));
}

void start_ordered_scan(IndexScanDesc scan, const char* access_method) {
  if (scan->orderByData == nullptr || scan->numberOfOrderBys == 0)
    elog(ERROR, "cannot scan %s index without order", access_method);
  if (!IsMVCCSnapshot(scan->xs_snapshot))
    elog(ERROR, "non-MVCC snapshots are not supported with %s", access_method);
  pgstat_count_index_scan(scan->indexRelation);
}

}  // namespace piramid::pg
