// piramid_index_check for ivf: the meta page, the centroid and directory chains, every list chain (page
// types, no cycles, entry sizes, complete part sequences) and that every heap row that should be
// indexed is, in a list or in the untrained buffer. A row found twice (a crash while the buffer was
// moving into lists) is reported, not an error: scans return it once and vacuum removes both copies.
#include "pg/ivf/check.h"

#include "pg/am/opclass.h"
#include "pg/guard.h"
#include "pg/ivf/chain_reader.h"
#include "pg/ivf/page_ops.h"
#include "pg/ivf/shape.h"
#include "pg/memory.h"

extern "C" {
#include "access/tableam.h"
#include "access/xlog.h"
#include "catalog/index.h"
#include "utils/memutils.h"
}

#include <unordered_map>
#include <unordered_set>

namespace piramid::pg::ivf {
namespace {

uint64 tid_key(const ItemPointerData& tid) {
  return (uint64(ItemPointerGetBlockNumberNoCheck(&tid)) << 16) | ItemPointerGetOffsetNumberNoCheck(&tid);
}

struct CheckState {
  std::unordered_map<uint64, int> entries;  // heap tid -> copies in the index
  std::unordered_set<BlockNumber> pages;
  size_t heap_rows = 0, missing = 0, in_lists = 0, in_buffer = 0, duplicates = 0, free_pages = 0;
  ItemPointerData first_missing;
  OpclassInfo info{};
  MemoryContext tuple_context = nullptr;
};

void heap_callback(Relation index, ItemPointer tid, Datum* values, bool* isnull, bool alive, void* arg) {
  CheckState* s = static_cast<CheckState*>(arg);
  if (isnull[0]) return;
  MemoryContext old = MemoryContextSwitchTo(s->tuple_context);
  PlainValue v;
  if (extract_value(s->info, values[0], &v)) {
    s->heap_rows++;
    if (s->entries.count(tid_key(*tid)) == 0) {
      if (s->missing++ == 0) s->first_missing = *tid;
    }
  }
  MemoryContextSwitchTo(old);
  MemoryContextReset(s->tuple_context);
}

// Reads a chain's entries; false if it was the buffer's and a move into lists cut it (chain_reader.h:
// possible only on a standby, where the check cannot lock out training).
bool read_chain(Relation index, CheckState* s, BlockNumber head, size_t payload, size_t* count, bool buffer,
                const BlockShape& blocks = BlockShape()) {
  ChainReader reader(index, head, payload);
  if (buffer) reader.set_buffer_chain();
  reader.set_blocks(blocks);
  BlockNumber block = head;
  while (block != InvalidBlockNumber) {
    if (!s->pages.insert(block).second)
      throw Error(ErrorKind::kIndexCorrupted, std::string("ivf index \"") + RelationGetRelationName(index) +
                                                  "\" reaches page " + std::to_string(block) + " twice",
                  "", "REINDEX the index.");
    reader.next_page([&](const EntryHeader& h, const uint8*, const std::vector<BlockNumber>&) {
      if (++s->entries[tid_key(h.heap_tid)] == 2) s->duplicates++;
      ++*count;
    });
    block = reader.next_block();
  }
  return !reader.cut();
}

// Walks the free list: free pages only, none reached twice or also in a chain. Returns its length.
size_t read_free_list(Relation index, CheckState* s, BlockNumber head) {
  size_t count = 0;
  for (BlockNumber block = head; block != 0 && block != InvalidBlockNumber; ++count) {
    if (!s->pages.insert(block).second)
      throw Error(ErrorKind::kIndexCorrupted, std::string("ivf index \"") + RelationGetRelationName(index) +
                                                  "\" reaches page " + std::to_string(block) + " twice",
                  "", "REINDEX the index.");
    uint16 type = 0, id = 0;
    call_postgres([&] {
      Buffer buffer = ReadBuffer(index, block);
      LockBuffer(buffer, BUFFER_LOCK_SHARE);
      const PageOpaque* opaque = page_opaque(BufferGetPage(buffer));
      type = opaque->page_type;
      id = opaque->page_id;
      block = opaque->next;
      UnlockReleaseBuffer(buffer);
    });
    if (type != kFreePage || id != kPageId)
      throw Error(ErrorKind::kIndexCorrupted, std::string("ivf index \"") + RelationGetRelationName(index) +
                                                  "\" has a page of type " + std::to_string(type) + " on its free list",
                  "", "REINDEX the index.");
  }
  return count;
}

}  // namespace

void check_index(Relation index, Relation heap, StringInfo report) {
  MetaPage meta = read_meta(index);
  MemoryContext context = AllocSetContextCreate(CurrentMemoryContext, "ivf check", ALLOCSET_DEFAULT_SIZES);
  CheckState* s = guard([&] { return make_context_owned<CheckState>(context); });
  s->info = index_opclass_info(index);
  s->tuple_context = AllocSetContextCreate(context, "ivf check tuple", ALLOCSET_DEFAULT_SIZES);
  if (meta.dims != column_dimensions(index) || meta.value_type != static_cast<uint8>(s->info.type) ||
      meta.metric != static_cast<uint8>(s->info.metric) || meta.codec != static_cast<uint8>(s->info.codec))
    ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED), errmsg("ivf index \"%s\" is corrupted", RelationGetRelationName(index)),
                    errdetail("The meta page does not match the column and operator class."), errhint("REINDEX the index.")));
  guard([&] {
    for (;; meta = read_meta_cpp(index)) {
      s->entries.clear();
      s->pages.clear();
      s->in_buffer = s->in_lists = s->duplicates = 0;
      if (!read_chain(index, s, meta.buffer_head, meta.flat_size, &s->in_buffer, true)) continue;
      std::shared_ptr<const IndexShape> shape = index_shape(index, meta);
      for (const ListEntry& e : shape->directory)
        read_chain(index, s, e.head, meta.code_size, &s->in_lists, false, shape->blocks);
      if (!RecoveryInProgress()) s->free_pages = read_free_list(index, s, meta.free_head);
      break;
    }
  });
  IndexInfo* index_info = BuildIndexInfo(index);
  table_index_build_scan(heap, index, index_info, true, false, heap_callback, s, nullptr);
  if (s->missing > 0)
    ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED), errmsg("ivf index \"%s\" is corrupted", RelationGetRelationName(index)),
                    errdetail("%zu of %zu table rows are missing from the index, the first at (%u,%u).", s->missing,
                              s->heap_rows, ItemPointerGetBlockNumber(&s->first_missing),
                              ItemPointerGetOffsetNumber(&s->first_missing)),
                    errhint("REINDEX the index.")));
  appendStringInfo(report, "ivf index \"%s\": %s, %d lists, %zu entries in lists, %zu in the untrained buffer, %zu table rows all indexed",
                   RelationGetRelationName(index), meta.trained_lists > 0 ? "trained" : "untrained", meta.trained_lists,
                   s->in_lists, s->in_buffer, s->heap_rows);
  if (s->free_pages > 0) appendStringInfo(report, ", %zu free pages", s->free_pages);
  if (s->duplicates > 0) appendStringInfo(report, ", %zu rows indexed twice (an interrupted move from the buffer)", s->duplicates);
  MemoryContextDelete(context);
}

}  // namespace piramid::pg::ivf
