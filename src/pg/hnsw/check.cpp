// piramid_index_check for hnsw: the meta page, every page and node tuple, every link (in range, to a
// node that has the link's level, never to a freed slot), reachability from the entry point, and that
// every heap row that should be indexed is.
#include "pg/hnsw/check.h"

#include "pg/am/opclass.h"
#include "pg/guard.h"
#include "pg/hnsw/index_shape.h"
#include "pg/hnsw/page_ops.h"
#include "pg/hnsw/pages.h"
#include "pg/memory.h"

extern "C" {
#include "access/tableam.h"
#include "catalog/index.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/memutils.h"
}

#include <deque>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "pg/hnsw/links.h"

namespace piramid::pg::hnsw {
namespace {

struct NodeInfo {
  uint8 level;
  bool deleted;
  std::vector<std::vector<uint64>> links;
  std::vector<uint8> nav;                    // own navigation code
  std::vector<std::vector<uint8>> link_navs;  // per level: the navigation codes stored with its links
};

// A node's chunk chain and how many bytes it must hold.
struct ChainToRead {
  ItemPointerData first;
  size_t bytes;
};

struct CheckState {
  std::vector<ChainToRead> chains;
  size_t dims = 0;
  ValueType value_type = ValueType::kVector;
  std::unordered_map<uint64, NodeInfo> nodes;
  std::unordered_set<uint64> heap_tids;  // of live nodes
  size_t heap_rows = 0, missing = 0;
  ItemPointerData first_missing;
  OpclassInfo info{};
  MemoryContext tuple_context = nullptr;
};

[[noreturn]] void corrupted(Relation index, const char* detail) {
  ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED), errmsg("hnsw index \"%s\" is corrupted", RelationGetRelationName(index)),
                  errdetail("%s", detail), errhint("REINDEX the index.")));
  pg_unreachable();
}

void record_node(CheckState* s, uint64 key, const NodeView& view) {
  NodeInfo info;
  info.level = view.header()->level;
  info.deleted = view.header()->flags & kNodeDeleted;
  info.links.resize(info.level + 1u);
  info.link_navs.resize(info.level + 1u);
  info.nav.assign(view.nav_code(), view.nav_code() + view.layout.nav_code_bytes());
  LinkList list;
  for (int l = 0; l <= info.level; ++l) {
    copy_list_out(view, l, &list);
    for (const ItemPointerData& t : list.tids) info.links[l].push_back(tid_key(t));
    info.link_navs[l] = std::move(list.nav);
  }
  if (!info.deleted) s->heap_tids.insert(tid_key(view.header()->heap_tid));
  const NodeHeader* h = view.header();
  if (ItemPointerIsValid(&h->chain)) {
    size_t bytes = (h->flags & kNodeCodeInChain) ? h->code_length : 0;
    if (!(h->flags & kNodeExactCode) && (s->value_type == ValueType::kVector || s->value_type == ValueType::kHalfvec))
      bytes += full_vector_bytes(s->value_type, static_cast<int>(s->dims));
    s->chains.push_back(ChainToRead{h->chain, bytes});
  }
  s->nodes.emplace(key, std::move(info));
}

void heap_callback(Relation index, ItemPointer tid, Datum* values, bool* isnull, bool alive, void* arg) {
  CheckState* s = static_cast<CheckState*>(arg);
  if (isnull[0]) return;
  MemoryContext old = MemoryContextSwitchTo(s->tuple_context);
  PlainValue v;
  if (extract_value(s->info, values[0], &v)) {
    s->heap_rows++;
    const ItemPointerData heap_tid = *tid;
    const bool present = guard([&] { return s->heap_tids.count(tid_key(heap_tid)) > 0; });
    if (!present && s->missing++ == 0) s->first_missing = heap_tid;
  }
  MemoryContextSwitchTo(old);
  MemoryContextReset(s->tuple_context);
}

}  // namespace

void check_index(Relation index, Relation heap, StringInfo report) {
  MemoryContext context = AllocSetContextCreate(CurrentMemoryContext, "hnsw check", ALLOCSET_DEFAULT_SIZES);
  CheckState* s = guard([&] { return make_context_owned<CheckState>(context); });
  s->info = index_opclass_info(index);
  s->tuple_context = AllocSetContextCreate(context, "hnsw check tuple", ALLOCSET_DEFAULT_SIZES);
  char detail[512];

  Buffer meta_buffer = ReadBuffer(index, kMetaBlock);
  LockBuffer(meta_buffer, BUFFER_LOCK_SHARE);
  const MetaPage meta = *meta_of(BufferGetPage(meta_buffer));
  const PageOpaque meta_opaque = *page_opaque(BufferGetPage(meta_buffer));
  UnlockReleaseBuffer(meta_buffer);
  if (meta_opaque.page_id != kPageId || meta_opaque.page_type != kMetaPage || meta.magic != kMagic || meta.version != kVersion)
    corrupted(index, "The meta page does not identify an hnsw index of this version.");
  if (meta.dims < 1 || meta.m < 2 || meta.m > 100 || meta.code_kind < 1 || meta.code_kind > 4)
    corrupted(index, "The meta page holds impossible parameters.");
  const NodeLayout layout{meta.m, meta.nav_subspaces};
  if (meta.nav_subspaces % 2 != 0 || meta.nav_subspaces > 256)
    corrupted(index, "The meta page holds an impossible number of navigation subspaces.");
  if (meta.nav_rotation_block != 0 &&
      (meta.nav_subspaces == 0 ||
       meta.nav_rotation_block % ((meta.dims + meta.nav_subspaces - 1) / meta.nav_subspaces) != 0))
    corrupted(index, "The meta page holds an impossible navigation rotation block.");
  s->dims = static_cast<size_t>(meta.dims);
  s->value_type = static_cast<ValueType>(meta.value_type);
  guard([&] {
    // The quantizer's and the navigation codebooks' chains are read with the nodes' chains below.
    if (static_cast<CodeKind>(meta.code_kind) == CodeKind::kSq8)
      s->chains.push_back(ChainToRead{meta.quantizer, sizeof(float) * s->dims});
    if (meta.nav_subspaces > 0)
      s->chains.push_back(ChainToRead{meta.nav_codebooks,
                                      sizeof(float) * (nav_codebook_floats(meta.dims, meta.nav_subspaces) +
                                                       nav_rotation_floats(meta.dims, meta.nav_subspaces,
                                                                           meta.nav_rotation_block))});
  });

  size_t pages[4] = {0, 0, 0, 0};
  const BlockNumber blocks = RelationGetNumberOfBlocks(index);
  for (BlockNumber block = 1; block < blocks; ++block) {
    Buffer buffer = ReadBuffer(index, block);
    LockBuffer(buffer, BUFFER_LOCK_SHARE);
    Page page = BufferGetPage(buffer);
    const PageOpaque* opaque = page_opaque(page);
    if (PageIsNew(page)) {
      UnlockReleaseBuffer(buffer);
      continue;
    }
    if (opaque->page_id != kPageId || (opaque->page_type != kNodePage && opaque->page_type != kChunkPage)) {
      snprintf(detail, sizeof detail, "Block %u is not an hnsw node or chunk page.", block);
      UnlockReleaseBuffer(buffer);
      corrupted(index, detail);
    }
    pages[opaque->page_type]++;
    if (opaque->page_type == kNodePage) {
      for (OffsetNumber off = FirstOffsetNumber; off <= PageGetMaxOffsetNumber(page); ++off) {
        ItemId item = PageGetItemId(page, off);
        if (!ItemIdIsNormal(item)) continue;
        NodeView view{static_cast<char*>(PageGetItem(page, item)), layout};
        const NodeHeader* h = view.header();
        const size_t expected = layout.tuple_size(view.inline_code_length(), h->level);
        bool bad = ItemIdGetLength(item) != expected;
        for (int l = 0; !bad && l <= h->level; ++l) bad = *view.count(l) > layout.capacity(l);
        if (bad) {
          snprintf(detail, sizeof detail, "Node (%u,%u) has a size or link count that does not match its level %u.",
                   block, off, h->level);
          UnlockReleaseBuffer(buffer);
          corrupted(index, detail);
        }
        ItemPointerData tid;
        ItemPointerSet(&tid, block, off);
        guard([&] { record_node(s, tid_key(tid), view); });
      }
    }
    UnlockReleaseBuffer(buffer);
  }

  // Links: in range, to nodes that exist and reach the link's level.
  size_t live = 0, deleted = 0, links = 0, to_deleted = 0, max_level = 0;
  const char* problem = guard([&]() -> const char* {
    for (const auto& [key, node] : s->nodes) {
      (node.deleted ? deleted : live)++;
      max_level = std::max<size_t>(max_level, node.level);
      for (size_t l = 0; l < node.links.size(); ++l) {
        for (const uint64& to : node.links[l]) {
          ++links;
          auto it = s->nodes.find(to);
          if (it == s->nodes.end()) {
            const ItemPointerData a = tid_from_key(key), b = tid_from_key(to);
            snprintf(detail, sizeof detail, "Node (%u,%u) links at level %zu to (%u,%u), which holds no node.",
                     ItemPointerGetBlockNumber(&a), ItemPointerGetOffsetNumber(&a), l, ItemPointerGetBlockNumber(&b),
                     ItemPointerGetOffsetNumber(&b));
            return detail;
          }
          if (it->second.level < l) {
            const ItemPointerData a = tid_from_key(key);
            snprintf(detail, sizeof detail, "Node (%u,%u) links at level %zu to a node of level %u.",
                     ItemPointerGetBlockNumber(&a), ItemPointerGetOffsetNumber(&a), l, it->second.level);
            return detail;
          }
          const size_t nav_bytes = it->second.nav.size();
          const size_t position = static_cast<size_t>(&to - node.links[l].data());
          if (nav_bytes > 0 && memcmp(&node.link_navs[l][position * nav_bytes], it->second.nav.data(), nav_bytes) != 0) {
            const ItemPointerData a = tid_from_key(key), b = tid_from_key(to);
            snprintf(detail, sizeof detail,
                     "Node (%u,%u) stores a navigation code at level %zu for (%u,%u) that differs from that node's own.",
                     ItemPointerGetBlockNumber(&a), ItemPointerGetOffsetNumber(&a), l, ItemPointerGetBlockNumber(&b),
                     ItemPointerGetOffsetNumber(&b));
            return detail;
          }
          if (!node.deleted) to_deleted += it->second.deleted;
        }
      }
    }
    return nullptr;
  });
  if (problem != nullptr) corrupted(index, problem);

  // Every node's chunk chain holds what the node says: its code and/or its full-precision vector.
  {
    const size_t chains = s->chains.size();
    size_t widest = 0;
    for (size_t i = 0; i < chains; ++i) widest = std::max(widest, s->chains[i].bytes);
    char* buffer = static_cast<char*>(palloc(std::max<size_t>(widest, 1)));
    for (size_t i = 0; i < chains; ++i) {
      const ChainToRead c = s->chains[i];
      if (read_chain(index, c.first, buffer, c.bytes) != c.bytes) {  // errors itself on a broken chain
        snprintf(detail, sizeof detail, "The chunk chain at (%u,%u) holds fewer than the %zu bytes its node needs.",
                 ItemPointerGetBlockNumber(&c.first), ItemPointerGetOffsetNumber(&c.first), c.bytes);
        corrupted(index, detail);
      }
      if ((i & 255) == 0) CHECK_FOR_INTERRUPTS();
    }
    pfree(buffer);
  }

  // Entry point and reachability at level 0.
  size_t reachable = 0;
  if (ItemPointerIsValid(&meta.entry)) {
    const char* entry_problem = guard([&]() -> const char* {
      auto it = s->nodes.find(tid_key(meta.entry));
      if (it == s->nodes.end()) return "The entry point is not a node.";
      // A deleted entry point is a legal state between a vacuum's marking and its move of the entry point.
      if (it->second.level != meta.entry_level) return "The entry point's level differs from the meta page's.";
      std::unordered_set<uint64> seen{tid_key(meta.entry)};
      std::deque<uint64> queue{tid_key(meta.entry)};
      while (!queue.empty()) {
        const NodeInfo& n = s->nodes.at(queue.front());
        queue.pop_front();
        reachable += !n.deleted;
        for (uint64 to : n.links[0]) {
          if (seen.insert(to).second) queue.push_back(to);
        }
      }
      return nullptr;
    });
    if (entry_problem != nullptr) corrupted(index, entry_problem);
  } else if (live > 0) {
    corrupted(index, "The index has live nodes but no entry point.");
  }

  // Every heap row that should be indexed is.
  IndexInfo* index_info = BuildIndexInfo(index);
  table_index_build_scan(heap, index, index_info, false, false, heap_callback, s, nullptr);
  if (s->missing > 0) {
    snprintf(detail, sizeof detail, "%zu of %zu heap rows are not in the index, the first at (%u,%u).", s->missing,
             s->heap_rows, ItemPointerGetBlockNumber(&s->first_missing), ItemPointerGetOffsetNumber(&s->first_missing));
    corrupted(index, detail);
  }

  appendStringInfo(report,
                   "hnsw index \"%s\" is valid: %zu live nodes, %zu deleted awaiting vacuum, %zu levels, "
                   "%zu links (%zu from live to deleted nodes), %zu of %zu live nodes reachable from the entry point, "
                   "%u node pages, %u chunk pages, all %zu heap rows indexed",
                   RelationGetRelationName(index), live, deleted, live + deleted > 0 ? max_level + 1 : 0, links,
                   to_deleted, reachable, live, static_cast<unsigned>(pages[kNodePage]),
                   static_cast<unsigned>(pages[kChunkPage]), s->heap_rows);
  if (meta.nav_subspaces == 0)
    appendStringInfoString(report, ", no navigation codes");
  else if (meta.nav_rotation_block == 0)
    appendStringInfo(report, ", navigation codes of %u subspaces, not rotated", static_cast<unsigned>(meta.nav_subspaces));
  else
    appendStringInfo(report, ", navigation codes of %u subspaces, rotated in blocks of %u dimensions",
                     static_cast<unsigned>(meta.nav_subspaces), static_cast<unsigned>(meta.nav_rotation_block));
  MemoryContextDelete(context);
}

}  // namespace piramid::pg::hnsw
