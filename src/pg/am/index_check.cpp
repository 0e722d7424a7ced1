#include "pg/am/index_check.h"

#include "pg/guard.h"

extern "C" {
#include "access/genam.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/xlog.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "commands/defrem.h"
#include "storage/lmgr.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
}

namespace piramid::pg {
namespace {

struct Registration {
  const char* access_method;
  IndexChecker checker;
};

Registration g_checkers[8];
int g_checker_count = 0;

}  // namespace

void register_index_checker(const char* access_method, IndexChecker checker) {
  if (g_checker_count < static_cast<int>(sizeof g_checkers / sizeof g_checkers[0]))
    g_checkers[g_checker_count++] = Registration{access_method, checker};
}

}  // namespace piramid::pg

PIRAMID_FUNCTION(piramid_index_check) {
  using namespace piramid::pg;
  const Oid index_oid = PG_GETARG_OID(0);
  const Oid heap_oid = IndexGetRelation(index_oid, true);
  if (!OidIsValid(heap_oid))
    ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE), errmsg("relation with OID %u is not an index", index_oid),
                    errhint("Pass the name of a piramid index, for example 'items_embedding_idx'::regclass.")));
  // Lock the heap first, as every other operation does, then the index; ShareLock blocks writers. A hot
  // standby only allows AccessShareLock: there the check reads while WAL replay may write, so run it on a
  // standby that is caught up and quiet (a row replayed into the table but not yet into the index would
  // be reported missing).
  const LOCKMODE lockmode = RecoveryInProgress() ? AccessShareLock : ShareLock;
  Relation heap = table_open(heap_oid, lockmode);
  Relation index = index_open(index_oid, lockmode);
  const char* am_name = get_am_name(index->rd_rel->relam);
  IndexChecker checker = nullptr;
  for (int i = 0; i < g_checker_count; ++i) {
    if (am_name != nullptr && strcmp(g_checkers[i].access_method, am_name) == 0) checker = g_checkers[i].checker;
  }
  if (checker == nullptr)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("index \"%s\" is not a piramid index", RelationGetRelationName(index)),
                    errdetail("Its access method is %s.", am_name ? am_name : "unknown"),
                    errhint("piramid_index_check verifies hnsw, ivf and ivfflat indexes.")));
  StringInfoData report;
  initStringInfo(&report);
  checker(index, heap, &report);
  index_close(index, lockmode);
  table_close(heap, lockmode);
  PG_RETURN_TEXT_P(cstring_to_text(report.data));
}
