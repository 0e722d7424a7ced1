// Vacuum walks the untrained buffer and every list chain page by page. On each page it removes the
// entries whose heap row is dead (in block lists: frees their slots) (one Generic WAL record per changed page, under a cleanup lock so no
// scan is reading the page), then points the chain's insert hint at the first page with room, so new
// entries fill reclaimed space before the chain grows. Cleanup then trains an untrained index whose
// buffer reached the threshold, or moves rows a concurrent insert left in the buffer of a trained one.
#include "pg/ivf/vacuum.h"

#include "pg/guard.h"
#include "pg/ivf/page_ops.h"
#include "pg/ivf/shape.h"
#include "pg/ivf/train.h"

extern "C" {
#include "access/generic_xlog.h"
#include "commands/vacuum.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
}

namespace piramid::pg::ivf {
namespace {

// Frees the slots of dead rows in the blocks of a page (pages.h: their TIDs become invalid; inserts
// reuse them), in one record if any changed. Counts the live ones.
void vacuum_blocks(Relation index, Buffer buffer, const BlockShape& shape, IndexBulkDeleteResult* stats,
                   IndexBulkDeleteCallback callback, void* callback_state) {
  GenericXLogState* state = GenericXLogStart(index);
  Page page = GenericXLogRegisterBuffer(state, buffer, 0);
  size_t freed = 0;
  const OffsetNumber max = PageGetMaxOffsetNumber(page);
  for (OffsetNumber off = FirstOffsetNumber; off <= max; ++off) {
    ItemId item = PageGetItemId(page, off);
    if (!ItemIdIsNormal(item) || ItemIdGetLength(item) < shape.size()) continue;
    char* block = static_cast<char*>(PageGetItem(page, item));
    const size_t used = std::min<size_t>(reinterpret_cast<BlockHeader*>(block)->used, kBlockSlots);
    ItemPointerData* tids = reinterpret_cast<ItemPointerData*>(block + shape.tids_at());
    for (size_t s = 0; s < used; ++s) {
      if (!ItemPointerIsValid(&tids[s])) continue;
      if (callback(&tids[s], callback_state)) {
        ItemPointerSetInvalid(&tids[s]);
        ++freed;
      } else {
        stats->num_index_tuples += 1;
      }
    }
  }
  if (freed > 0) {
    GenericXLogFinish(state);
    stats->tuples_removed += static_cast<double>(freed);
  } else {
    GenericXLogAbort(state);
  }
}

// Vacuums one chain; returns the first page with room for an entry of `entry_size` bytes, or with a
// free block slot (block lists), or Invalid.
BlockNumber vacuum_chain(IndexVacuumInfo* info, BlockNumber head, size_t entry_size, const BlockShape& blocks,
                         IndexBulkDeleteResult* stats, IndexBulkDeleteCallback callback, void* callback_state,
                         OffsetNumber* offsets) {
  Relation index = info->index;
  BlockNumber first_with_room = InvalidBlockNumber;
  for (BlockNumber block = head; block != InvalidBlockNumber;) {
    vacuum_delay_point();
    Buffer buffer = ReadBufferExtended(index, MAIN_FORKNUM, block, RBM_NORMAL, info->strategy);
    LockBufferForCleanup(buffer);
    Page page = BufferGetPage(buffer);
    if (blocks.m > 0) {
      vacuum_blocks(index, buffer, blocks, stats, callback, callback_state);
      OffsetNumber offset;
      size_t slot;
      if (first_with_room == InvalidBlockNumber &&
          (find_free_slot(page, blocks, &offset, &slot) || PageGetFreeSpace(page) >= MAXALIGN(blocks.size())))
        first_with_room = block;
      block = page_opaque(page)->next;
      UnlockReleaseBuffer(buffer);
      continue;
    }
    int count = 0;
    const OffsetNumber max = PageGetMaxOffsetNumber(page);
    for (OffsetNumber off = FirstOffsetNumber; off <= max; ++off) {
      ItemId item = PageGetItemId(page, off);
      if (!ItemIdIsNormal(item)) continue;
      EntryHeader* h = reinterpret_cast<EntryHeader*>(PageGetItem(page, item));
      if (callback(&h->heap_tid, callback_state)) {
        offsets[count++] = off;
      } else if (h->part == 0) {
        stats->num_index_tuples += 1;
      }
    }
    if (count > 0) {
      GenericXLogState* state = GenericXLogStart(index);
      PageIndexMultiDelete(GenericXLogRegisterBuffer(state, buffer, 0), offsets, count);
      GenericXLogFinish(state);
      stats->tuples_removed += count;
    }
    if (first_with_room == InvalidBlockNumber && PageGetFreeSpace(page) >= MAXALIGN(sizeof(EntryHeader) + entry_size))
      first_with_room = block;
    block = page_opaque(page)->next;
    UnlockReleaseBuffer(buffer);
  }
  return first_with_room;
}

}  // namespace

IndexBulkDeleteResult* bulk_delete(IndexVacuumInfo* info, IndexBulkDeleteResult* stats,
                                   IndexBulkDeleteCallback callback, void* callback_state) {
  if (stats == nullptr) stats = static_cast<IndexBulkDeleteResult*>(palloc0(sizeof(IndexBulkDeleteResult)));
  Relation index = info->index;
  const MetaPage meta = read_meta(index);
  std::vector<ListEntry>* lists = guard([&] {
    std::shared_ptr<const IndexShape> shape = index_shape(index, meta);
    return new std::vector<ListEntry>(shape->directory);
  });
  OffsetNumber* offsets = static_cast<OffsetNumber*>(palloc(sizeof(OffsetNumber) * MaxOffsetNumber));
  stats->num_index_tuples = 0;
  BlockNumber room =
      vacuum_chain(info, meta.buffer_head, meta.flat_size, BlockShape(), stats, callback, callback_state, offsets);
  const BlockShape blocks = block_shape(meta);
  if (room != InvalidBlockNumber && room != meta.buffer_insert) set_insert_hint(index, InvalidBlockNumber, -1, room);
  for (size_t i = 0; i < lists->size(); ++i) {
    const size_t entry = std::min<size_t>(meta.code_size, kPartPayload);
    room = vacuum_chain(info, (*lists)[i].head, entry, blocks, stats, callback, callback_state, offsets);
    if (room != InvalidBlockNumber && room != read_list_entry(index, meta.directory, static_cast<int32>(i)).insert)
      set_insert_hint(index, meta.directory, static_cast<int32>(i), room);
  }
  pfree(offsets);
  guard([&] { delete lists; });
  return stats;
}

IndexBulkDeleteResult* vacuum_cleanup(IndexVacuumInfo* info, IndexBulkDeleteResult* stats) {
  if (info->analyze_only) return stats;
  if (stats == nullptr) {
    stats = static_cast<IndexBulkDeleteResult*>(palloc0(sizeof(IndexBulkDeleteResult)));
    stats->num_index_tuples = info->num_heap_tuples;
    stats->estimated_count = info->estimated_count;
  }
  guard([&] { train_from_buffer(info->index, false); });
  stats->num_pages = RelationGetNumberOfBlocks(info->index);
  const MetaPage meta = read_meta(info->index);
  stats->pages_free = has_free_pages(meta) ? meta.free_pages : 0;
  return stats;
}

}  // namespace piramid::pg::ivf
