// SQL functions of the ivf access method: piramid_ivf_train(regclass) and piramid_ivf_info(regclass).
#include "pg/guard.h"
#include "pg/ivf/page_ops.h"
#include "pg/ivf/train.h"

extern "C" {
#include "access/genam.h"
#include "access/table.h"
#include "catalog/index.h"
#include "miscadmin.h"
#include "commands/defrem.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
}

namespace {

// Opens an ivf or ivfflat index and its table (the table first, as everything else does); errors name
// what was wrong.
Relation open_ivf_index(Oid index_oid, LOCKMODE heap_lock, LOCKMODE index_lock, Relation* heap) {
  const Oid heap_oid = IndexGetRelation(index_oid, true);
  if (!OidIsValid(heap_oid))
    ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE), errmsg("\"%s\" is not an index", get_rel_name(index_oid) ? get_rel_name(index_oid) : "?"),
                    errhint("Pass the name of an ivf index, for example 'items_embedding_idx'::regclass.")));
  *heap = table_open(heap_oid, heap_lock);
  Relation index = index_open(index_oid, index_lock);
  const char* am = get_am_name(index->rd_rel->relam);
  if (am == nullptr || (strcmp(am, "ivf") != 0 && strcmp(am, "ivfflat") != 0))
    ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
                    errmsg("index \"%s\" is not an ivf index", RelationGetRelationName(index)),
                    errdetail("Its access method is %s.", am ? am : "unknown"),
                    errhint("piramid_ivf_train works on indexes created USING ivf or USING ivfflat.")));
  return index;
}

}  // namespace

// piramid_ivf_train(index regclass) RETURNS bigint: trains an untrained index from its buffer (or moves
// rows left in the buffer of a trained one) and returns the rows moved into lists.
PIRAMID_FUNCTION(ivf_train) {
  using namespace piramid::pg::ivf;
  Relation heap = nullptr;
  // ShareUpdateExclusiveLock, as VACUUM takes: training and vacuum never run at once; inserts and scans go on.
  Relation index = open_ivf_index(PG_GETARG_OID(0), ShareUpdateExclusiveLock, RowExclusiveLock, &heap);
  if (!pg_class_ownercheck(RelationGetRelid(heap), GetUserId()))
    aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, RelationGetRelationName(heap));
  const size_t moved = piramid::pg::guard([&] { return train_from_buffer(index, true); });
  index_close(index, RowExclusiveLock);
  table_close(heap, ShareUpdateExclusiveLock);
  PG_RETURN_INT64(static_cast<int64>(moved));
}

// piramid_ivf_info(index regclass): lists, trained lists, codec facts, as a small text report.
PIRAMID_FUNCTION(ivf_info) {
  using namespace piramid::pg::ivf;
  Relation heap = nullptr;
  Relation index = open_ivf_index(PG_GETARG_OID(0), AccessShareLock, AccessShareLock, &heap);
  const MetaPage meta = read_meta(index);
  char* text = psprintf("lists=%d trained_lists=%d dims=%d code_size=%u%s%s", meta.lists, meta.trained_lists, meta.dims,
                        meta.code_size,
                        meta.pq_m > 0 ? psprintf(" pq_subvectors=%d pq_bits=%d layout=%s", meta.pq_m, meta.pq_bits,
                                                 meta.list_layout == kBlockLists ? "blocks" : "entries")
                                      : "",
                        has_free_pages(meta) ? psprintf(" free_pages=%u", meta.free_pages) : "");
  index_close(index, AccessShareLock);
  table_close(heap, AccessShareLock);
  PG_RETURN_TEXT_P(cstring_to_text(text));
}
