// Vacuum in three passes (README.md, "Vacuum"):
//   1. mark: nodes whose heap row is dead get kNodeDeleted and the current transaction counter; nodes
//      deleted by an earlier vacuum whose counter no running transaction can still see become freeable;
//   2. repair: every list that links to a deleted node drops it and takes replacements from the deleted
//      node's own neighbours, chosen with the neighbour heuristic; the entry point moves to a live node;
//   3. reconnect: live nodes that a walk from the entry point no longer reaches are linked back in
//      (reconnect.cpp);
//   4. free: freeable nodes' tuples and chunk chains are removed and their space recorded for reuse.
#include "pg/hnsw/vacuum.h"

#include "pg/guard.h"
#include "pg/hnsw/graph_search.h"
#include "pg/hnsw/index_shape.h"
#include "pg/hnsw/links.h"
#include "pg/hnsw/page_ops.h"
#include "pg/hnsw/page_reader.h"
#include "pg/hnsw/reconnect.h"
#include "pg/memory.h"
#include "piramid/hnsw/search.h"
#include "piramid/visited.h"

extern "C" {
#include "access/generic_xlog.h"
#include "access/transam.h"
#include "commands/vacuum.h"
#include "miscadmin.h"
#include "postmaster/autovacuum.h"
#include "storage/bufmgr.h"
#include "storage/freespace.h"
#include "storage/indexfsm.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}

#include <algorithm>
#include <unordered_map>

namespace piramid::pg::hnsw {
namespace {

using piramid::hnsw::Candidate;
using Id = uint64;

struct VacuumState {
  piramid::VisitedSet deleted;    // every node marked deleted (this vacuum or earlier)
  piramid::VisitedSet freeable;   // deleted long enough ago to free
  std::vector<ItemPointerData> freeable_chains;
  ItemPointerData best_live;      // highest-level live node, the entry point if the old one is deleted
  int best_live_level = -1;
  std::vector<std::pair<Size, BlockNumber>> free_chunk_pages;  // (free bytes, block)
};

// Pass 1 over one page (exclusive lock, one WAL record if anything changed).
void mark_page(Relation index, Relation heap, BlockNumber block, BufferAccessStrategy strategy, VacuumState* s,
               IndexBulkDeleteResult* stats, IndexBulkDeleteCallback callback, void* callback_state) {
  Buffer buffer = ReadBufferExtended(index, MAIN_FORKNUM, block, RBM_NORMAL, strategy);
  LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
  GenericXLogState* state = GenericXLogStart(index);
  Page page = GenericXLogRegisterBuffer(state, buffer, 0);
  bool changed = false;
  if (page_opaque(page)->page_type == kNodePage) {
    const OffsetNumber max = PageGetMaxOffsetNumber(page);
    for (OffsetNumber off = FirstOffsetNumber; off <= max; ++off) {
      ItemId item = PageGetItemId(page, off);
      if (!ItemIdIsNormal(item)) continue;
      NodeHeader* h = reinterpret_cast<NodeHeader*>(PageGetItem(page, item));
      ItemPointerData tid;
      ItemPointerSet(&tid, block, off);
      if (h->flags & kNodeDeleted) {
        guard([&] { s->deleted.insert(tid_key(tid)); });
        if (GlobalVisCheckRemovableXid(heap, deleted_xid(h))) {
          guard([&] {
            s->freeable.insert(tid_key(tid));
            if (ItemPointerIsValid(&h->chain)) s->freeable_chains.push_back(h->chain);
          });
        }
      } else if (callback(&h->heap_tid, callback_state)) {
        h->flags |= kNodeDeleted;
        // The newest transaction id assigned so far: every insert that could still link to this node
        // has an id no newer, so once this id is older than every running transaction, none remains.
        TransactionId newest = ReadNextTransactionId();
        TransactionIdRetreat(newest);
        set_deleted_xid(h, newest);
        guard([&] { s->deleted.insert(tid_key(tid)); });
        stats->tuples_removed += 1;
        changed = true;
      } else {
        stats->num_index_tuples += 1;
        if (h->level > s->best_live_level) {
          s->best_live_level = h->level;
          s->best_live = tid;
        }
      }
    }
  }
  if (changed) GenericXLogFinish(state);
  else GenericXLogAbort(state);
  UnlockReleaseBuffer(buffer);
}

// Pass 2 for one list: drop deleted links and refill from the deleted nodes' own neighbours and from a
// search near the node.
void repair_list(Relation index, const IndexShape& shape, PageReader& reader, const MetaPage& meta, VacuumState* s,
                 ItemPointerData at, int level) {
  LinkList current, next, theirs;
  std::unordered_map<Id, std::vector<uint8>> codes, navs;
  auto code_of = [&](Id id) -> const std::vector<uint8>& {
    auto it = codes.find(id);
    if (it != codes.end()) return it->second;
    std::vector<uint8>& slot = codes[id];
    reader.read(id, &slot, &navs[id]);
    return slot;
  };
  const Id self = tid_key(at);
  const size_t nav_bytes = shape.layout.nav_code_bytes();
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (!read_links(index, shape, at, level, &current)) return;
    std::vector<Id> pool;
    bool touched = false;
    for (const ItemPointerData& t : current.tids) {
      const Id id = tid_key(t);
      if (!s->deleted.contains(id)) {
        pool.push_back(id);
        continue;
      }
      touched = true;
      if (read_links(index, shape, t, level, &theirs)) {
        for (const ItemPointerData& u : theirs.tids) {
          const Id uid = tid_key(u);
          if (uid != self && !s->deleted.contains(uid)) pool.push_back(uid);
        }
      }
    }
    if (!touched) return;
    for (Id id : search_near(shape, reader, meta, code_of(self), level)) {
      if (id != self && !s->deleted.contains(id)) pool.push_back(id);
    }
    std::sort(pool.begin(), pool.end());
    pool.erase(std::unique(pool.begin(), pool.end()), pool.end());
    const std::vector<uint8>& base = code_of(self);
    std::vector<Candidate<Id>> candidates;
    for (Id id : pool) {
      const std::vector<uint8>& c = code_of(id);
      if (!base.empty() && !c.empty()) candidates.push_back({shape.space->between(base.data(), c.data()), id});
    }
    std::sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) { return a.distance < b.distance; });
    const auto kept = piramid::hnsw::select_neighbors(
        candidates, shape.layout.capacity(level),
        [&](Id a, Id b) { return shape.space->between(code_of(a).data(), code_of(b).data()); }, true);
    next.clear();
    for (const auto& k : kept) {
      code_of(k.id);
      next.add(tid_from_key(k.id), navs[k.id].data(), nav_bytes);
    }
    if (write_links(index, shape, at, level, current.tids, next)) return;
  }
}

// Pass 2 over one page: find the lists that link to deleted nodes (share lock), then repair each.
void repair_page(Relation index, const IndexShape& shape, PageReader& reader, const MetaPage& meta, VacuumState* s,
                 BlockNumber block) {
  // Copy the page under its lock (nothing in call_postgres may throw), then inspect the copy.
  std::vector<char> copy(BLCKSZ);
  char* dst = copy.data();
  call_postgres([&] {
    Buffer buffer = ReadBuffer(index, block);
    LockBuffer(buffer, BUFFER_LOCK_SHARE);
    memcpy(dst, BufferGetPage(buffer), BLCKSZ);
    UnlockReleaseBuffer(buffer);
  });
  std::vector<std::pair<ItemPointerData, int>> work;
  {
    Page page = static_cast<Page>(dst);
    if (page_opaque(page)->page_type == kNodePage) {
      for (OffsetNumber off = FirstOffsetNumber; off <= PageGetMaxOffsetNumber(page); ++off) {
        ItemId item = PageGetItemId(page, off);
        if (!ItemIdIsNormal(item)) continue;
        NodeView view{static_cast<char*>(PageGetItem(page, item)), shape.layout};
        if (view.header()->flags & kNodeDeleted) continue;
        for (int l = 0; l <= view.header()->level; ++l) {
          const ItemPointerData* links = view.links(l);
          for (uint16 i = 0; i < *view.count(l); ++i) {
            if (s->deleted.contains(tid_key(links[i]))) {
              ItemPointerData tid;
              ItemPointerSet(&tid, block, off);
              work.emplace_back(tid, l);
              break;
            }
          }
        }
      }
    }
  }
  for (const auto& w : work) repair_list(index, shape, reader, meta, s, w.first, w.second);
}

void set_deleted_pending(Relation index, uint64 pending) {
  Buffer buffer = lock_meta(index, BUFFER_LOCK_EXCLUSIVE);
  if (meta_of(BufferGetPage(buffer))->deleted_pending != pending) {
    GenericXLogState* state = GenericXLogStart(index);
    meta_of(GenericXLogRegisterBuffer(state, buffer, 0))->deleted_pending = pending;
    GenericXLogFinish(state);
  }
  UnlockReleaseBuffer(buffer);
}

bool never_dead(ItemPointer, void*) { return false; }

void move_entry_point(Relation index, VacuumState* s) {
  Buffer buffer = lock_meta(index, BUFFER_LOCK_EXCLUSIVE);
  MetaPage* current = meta_of(BufferGetPage(buffer));
  if (ItemPointerIsValid(&current->entry) && guard([&] { return s->deleted.contains(tid_key(current->entry)); })) {
    GenericXLogState* state = GenericXLogStart(index);
    MetaPage* meta = meta_of(GenericXLogRegisterBuffer(state, buffer, 0));
    if (s->best_live_level >= 0) {
      meta->entry = s->best_live;
      meta->entry_level = static_cast<int16>(s->best_live_level);
    } else {
      ItemPointerSetInvalid(&meta->entry);
      meta->entry_level = -1;
    }
    GenericXLogFinish(state);
  }
  UnlockReleaseBuffer(buffer);
}

// Pass 3: removes the freeable nodes on one page and their chunk chains' tuples. Node pages go to the
// free space map; returns the free space of a chunk page that changed (0 otherwise) for the meta list.
Size free_items(Relation index, BlockNumber block, const piramid::VisitedSet& doomed, PageType type) {
  Buffer buffer = ReadBuffer(index, block);
  LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
  GenericXLogState* state = GenericXLogStart(index);
  Page page = GenericXLogRegisterBuffer(state, buffer, 0);
  bool changed = false;
  if (page_opaque(page)->page_type == type) {
    for (OffsetNumber off = PageGetMaxOffsetNumber(page); off >= FirstOffsetNumber; --off) {
      ItemPointerData tid;
      ItemPointerSet(&tid, block, off);
      if (ItemIdIsNormal(PageGetItemId(page, off)) && doomed.contains(tid_key(tid))) {
        PageIndexTupleDeleteNoCompact(page, off);
        changed = true;
      }
    }
  }
  if (changed) PageSetHasFreeLinePointers(page);  // new tuples reuse the freed line pointers
  const Size free = PageGetFreeSpace(page);
  if (changed) GenericXLogFinish(state);
  else GenericXLogAbort(state);
  UnlockReleaseBuffer(buffer);
  if (changed && type == kNodePage) RecordPageWithFreeSpace(index, block, free);
  return changed && type == kChunkPage ? free : 0;
}

// Lists chunk pages with freed space in the meta page for chunk writes to reuse (plain glue).
void list_free_chunk_pages(Relation index, const BlockNumber* blocks, int count) {
  Buffer buffer = lock_meta(index, BUFFER_LOCK_EXCLUSIVE);
  GenericXLogState* state = GenericXLogStart(index);
  MetaPage* meta = meta_of(GenericXLogRegisterBuffer(state, buffer, 0));
  meta->free_chunk_count = static_cast<uint16>(count);
  memcpy(meta->free_chunk_blocks, blocks, sizeof(BlockNumber) * static_cast<size_t>(count));
  GenericXLogFinish(state);
  UnlockReleaseBuffer(buffer);
}

// Runs reconnect (reconnect.cpp), reports it at the vacuum's message level, and records `live_rows` as
// the rows checked (plain glue).
void reconnect_and_report(IndexVacuumInfo* info, uint64 live_rows) {
  Relation index = info->index;
  // The pass keeps 14 bytes per live node (reconnect.cpp); it runs when they fit the work memory.
  const int work_mem_kb =
      IsAutoVacuumWorkerProcess() && autovacuum_work_mem != -1 ? autovacuum_work_mem : maintenance_work_mem;
  if (static_cast<double>(live_rows) * 14.0 > static_cast<double>(work_mem_kb) * 1024.0) {
    ereport(info->message_level,
            (errmsg("hnsw index \"%s\": not checking that every node is reachable: %llu rows need more than "
                    "maintenance_work_mem", RelationGetRelationName(index), static_cast<unsigned long long>(live_rows))));
    return;
  }
  const TimestampTz started = GetCurrentTimestamp();
  const size_t linked = reconnect(index, info->strategy);
  ereport(info->message_level,
          (errmsg("hnsw index \"%s\": %zu nodes that no search could reach linked back in (%ld ms)",
                  RelationGetRelationName(index), linked,
                  static_cast<long>(TimestampDifferenceMilliseconds(started, GetCurrentTimestamp())))));
  Buffer buffer = lock_meta(index, BUFFER_LOCK_EXCLUSIVE);
  GenericXLogState* state = GenericXLogStart(index);
  meta_of(GenericXLogRegisterBuffer(state, buffer, 0))->checked_rows = live_rows;
  GenericXLogFinish(state);
  UnlockReleaseBuffer(buffer);
}

}  // namespace

IndexBulkDeleteResult* bulk_delete(IndexVacuumInfo* info, IndexBulkDeleteResult* stats,
                                   IndexBulkDeleteCallback callback, void* callback_state) {
  Relation index = info->index;
  if (stats == nullptr) stats = static_cast<IndexBulkDeleteResult*>(palloc0(sizeof(IndexBulkDeleteResult)));
  MemoryContext context = AllocSetContextCreate(CurrentMemoryContext, "hnsw vacuum", ALLOCSET_DEFAULT_SIZES);
  VacuumState* s = guard([&] { return make_context_owned<VacuumState>(context); });
  ItemPointerSetInvalid(&s->best_live);

  const BlockNumber blocks = RelationGetNumberOfBlocks(index);
  for (BlockNumber block = 1; block < blocks; ++block) {
    vacuum_delay_point();
    mark_page(index, nullptr, block, info->strategy, s, stats, callback, callback_state);
  }

  if (s->deleted.size() > 0) {
    // Recorded before repairing, so an interrupted vacuum leaves the next one its work.
    set_deleted_pending(index, s->deleted.size());
    guard([&] {
      const MetaPage meta = read_meta(index);
      std::shared_ptr<const IndexShape> shape = index_shape(index, meta);
      PageReader reader(index, *shape);
      for (BlockNumber block = 1; block < blocks; ++block) {
        call_postgres([] { vacuum_delay_point(); });
        repair_page(index, *shape, reader, meta, s, block);
      }
    });
    move_entry_point(index, s);
    // Repairs can cut groups of live nodes off; link them back in (reconnect.cpp).
    reconnect_and_report(info, static_cast<uint64>(stats->num_index_tuples));
  }

  if (s->freeable.size() > 0) {
    // Chunk chains of freed nodes: collect their chunk addresses first (reads), then free page by page.
    piramid::VisitedSet chunks;
    guard([&] {
      std::vector<uint8> ignore;
      for (const ItemPointerData& first : s->freeable_chains) {
        ItemPointerData tid = first;
        while (ItemPointerIsValid(&tid)) {
          chunks.insert(tid_key(tid));
          ItemPointerData next;
          ItemPointerSetInvalid(&next);
          call_postgres([&] {
            Buffer buffer = ReadBuffer(index, ItemPointerGetBlockNumber(&tid));
            LockBuffer(buffer, BUFFER_LOCK_SHARE);
            Page page = BufferGetPage(buffer);
            const OffsetNumber off = ItemPointerGetOffsetNumber(&tid);
            if (page_opaque(page)->page_type == kChunkPage && off <= PageGetMaxOffsetNumber(page) &&
                ItemIdIsNormal(PageGetItemId(page, off)))
              next = reinterpret_cast<ChunkHeader*>(PageGetItem(page, PageGetItemId(page, off)))->next;
            UnlockReleaseBuffer(buffer);
          });
          tid = next;
        }
      }
    });
    for (BlockNumber block = 1; block < blocks; ++block) {
      vacuum_delay_point();
      free_items(index, block, s->freeable, kNodePage);
      const Size chunk_free = free_items(index, block, chunks, kChunkPage);
      if (chunk_free >= 1024) guard([&] { s->free_chunk_pages.emplace_back(chunk_free, block); });
    }
    if (!s->free_chunk_pages.empty()) {
      BlockNumber roomiest[kFreeChunkSlots];
      const int count = guard([&] {
        auto& pages = s->free_chunk_pages;
        std::sort(pages.begin(), pages.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
        const int n = std::min<int>(static_cast<int>(pages.size()), kFreeChunkSlots);
        for (int i = 0; i < n; ++i) roomiest[i] = pages[static_cast<size_t>(i)].second;
        return n;
      });
      list_free_chunk_pages(index, roomiest, count);
    }
    IndexFreeSpaceMapVacuum(index);
  }
  if (s->deleted.size() > 0) set_deleted_pending(index, s->deleted.size() - s->freeable.size());
  MemoryContextDelete(context);
  return stats;
}

IndexBulkDeleteResult* vacuum_cleanup(IndexVacuumInfo* info, IndexBulkDeleteResult* stats) {
  if (info->analyze_only) return stats;
  if (stats == nullptr) {
    // No row died since the last vacuum, but nodes deleted earlier may still need repairs and freeing;
    // and rows inserted one by one since the last check may have left nodes no search reaches.
    Buffer buffer = lock_meta(info->index, BUFFER_LOCK_SHARE);
    const MetaPage meta = *meta_of(BufferGetPage(buffer));
    UnlockReleaseBuffer(buffer);
    if (meta.deleted_pending > 0) {
      stats = bulk_delete(info, nullptr, never_dead, nullptr);
    } else {
      const double rows = info->num_heap_tuples;
      if (ItemPointerIsValid(&meta.entry) && rows >= 1000 && rows > 1.2 * static_cast<double>(meta.checked_rows))
        reconnect_and_report(info, static_cast<uint64>(rows));
      return nullptr;
    }
  }
  stats->num_pages = RelationGetNumberOfBlocks(info->index);
  return stats;
}

}  // namespace piramid::pg::hnsw
