// Vacuum's last step (README.md, "Vacuum"): every live node reachable at level 0 from the entry point
// again. Repairs re-link the neighbours of deleted nodes one list at a time, and the neighbour heuristic
// can leave a group of live nodes that link among themselves but that no list outside the group names:
// no scan could return their rows. The same happens, rarely, with concurrent single-row inserts.
//
//   1. A pass over the pages lists the live nodes (sorted by TID) and counts, per node, the level-0
//      lists that name it.
//   2. A walk along level-0 links from the entry point marks what it reaches (page reads as it goes).
//   3. Each node left unmarked is entered through one new link from the nearest marked node that a
//      beam search from the entry point over marked nodes only finds (a plain graph search would wander
//      into the group through deleted nodes, which still carry their old links until freed): into a
//      free slot of that node's level-0 list, or in place of a link whose target other lists name too
//      (so no other node loses its last way in). What the new link reaches is then marked. A replaced link can still cut a group off through a chain of such
//      replacements, so a few rounds of 2 and 3 run until a walk reaches everything.
//
// Lists are rewritten the way repairs rewrite them (links.h: optimistic, one record each), so concurrent
// inserts and scans go on. Memory: 14 bytes per live node.
#include "pg/hnsw/reconnect.h"

#include "pg/guard.h"
#include "pg/hnsw/graph_search.h"
#include "pg/hnsw/links.h"
#include "pg/hnsw/page_reader.h"

extern "C" {
#include "commands/vacuum.h"
#include "storage/bufmgr.h"
}

#include <algorithm>
#include <limits>

namespace piramid::pg::hnsw {
namespace {

using Id = PageReader::Id;

struct Nodes {
  std::vector<Id> ids;          // live nodes, sorted
  std::vector<uint8> named;     // per node: level-0 lists naming it (saturating at 255)
  std::vector<uint8> reached;   // per node: found by the current walk
  std::vector<uint32> seen;     // per node: the last search (seen_epoch) that met it
  uint32 seen_epoch = 0;

  // The node's index in ids, or ids.size() if it is not a live node seen by the pass.
  size_t find(Id id) const {
    const auto it = std::lower_bound(ids.begin(), ids.end(), id);
    return it != ids.end() && *it == id ? static_cast<size_t>(it - ids.begin()) : ids.size();
  }
};

// Calls f(node id, level-0 link ids) for every live node of the index, page by page (share locks, each
// page copied out under its lock and read after).
template <class F>
void for_each_live_node(Relation index, const NodeLayout& layout, BlockNumber blocks, BufferAccessStrategy strategy,
                        F&& f) {
  std::vector<char> copy(BLCKSZ);
  std::vector<Id> links;
  for (BlockNumber block = 1; block < blocks; ++block) {
    char* dst = copy.data();
    call_postgres([&] {
      vacuum_delay_point();
      Buffer buffer = ReadBufferExtended(index, MAIN_FORKNUM, block, RBM_NORMAL, strategy);
      LockBuffer(buffer, BUFFER_LOCK_SHARE);
      memcpy(dst, BufferGetPage(buffer), BLCKSZ);
      UnlockReleaseBuffer(buffer);
    });
    Page page = static_cast<Page>(dst);
    if (page_opaque(page)->page_type != kNodePage) continue;
    for (OffsetNumber off = FirstOffsetNumber; off <= PageGetMaxOffsetNumber(page); ++off) {
      ItemId item = PageGetItemId(page, off);
      if (!ItemIdIsNormal(item)) continue;
      NodeView view{static_cast<char*>(PageGetItem(page, item)), layout};
      if (view.header()->flags & kNodeDeleted) continue;
      links.clear();
      const ItemPointerData* tids = view.links(0);
      const uint16 count = std::min<uint16>(*view.count(0), static_cast<uint16>(layout.capacity(0)));
      for (uint16 i = 0; i < count; ++i) links.push_back(tid_key(tids[i]));
      ItemPointerData at;
      ItemPointerSet(&at, block, off);
      f(tid_key(at), links);
    }
  }
}

// Marks every live node reachable along level-0 links from `from` (already known to be live).
void walk(Relation index, const IndexShape& shape, Nodes* nodes, size_t from) {
  std::vector<size_t> stack{from};
  nodes->reached[from] = 1;
  LinkList list;
  while (!stack.empty()) {
    const size_t at = stack.back();
    stack.pop_back();
    if (!read_links(index, shape, tid_from_key(nodes->ids[at]), 0, &list)) continue;
    for (const ItemPointerData& t : list.tids) {
      const size_t next = nodes->find(tid_key(t));
      if (next < nodes->ids.size() && !nodes->reached[next]) {
        nodes->reached[next] = 1;
        stack.push_back(next);
      }
    }
  }
}

// Reached nodes near `code` (nearest first): a beam search of width ef along level-0 links from `start`
// that enters reached nodes only.
std::vector<size_t> near_reached(Relation index, const IndexShape& shape, PageReader& reader, Nodes* nodes,
                                 const std::vector<uint8>& code, size_t start, size_t ef) {
  using Entry = std::pair<float, size_t>;
  if (++nodes->seen_epoch == 0) {
    std::fill(nodes->seen.begin(), nodes->seen.end(), 0);
    nodes->seen_epoch = 1;
  }
  std::vector<uint8> other;
  const auto distance = [&](size_t i) {
    reader.read(nodes->ids[i], &other);
    return other.empty() ? std::numeric_limits<float>::infinity() : shape.space->between(code.data(), other.data());
  };
  std::vector<Entry> frontier, best;  // min-heap by distance / max-heap of the ef nearest
  const auto nearer = [](const Entry& a, const Entry& b) { return a.first > b.first; };
  const auto farther = [](const Entry& a, const Entry& b) { return a.first < b.first; };
  nodes->seen[start] = nodes->seen_epoch;
  const Entry first{distance(start), start};
  frontier.push_back(first);
  best.push_back(first);
  LinkList list;
  while (!frontier.empty()) {
    std::pop_heap(frontier.begin(), frontier.end(), nearer);
    const Entry at = frontier.back();
    frontier.pop_back();
    if (best.size() >= ef && at.first > best.front().first) break;
    if (!read_links(index, shape, tid_from_key(nodes->ids[at.second]), 0, &list)) continue;
    for (const ItemPointerData& t : list.tids) {
      const size_t i = nodes->find(tid_key(t));
      if (i >= nodes->ids.size() || !nodes->reached[i] || nodes->seen[i] == nodes->seen_epoch) continue;
      nodes->seen[i] = nodes->seen_epoch;
      const Entry e{distance(i), i};
      if (best.size() < ef || e.first < best.front().first) {
        frontier.push_back(e);
        std::push_heap(frontier.begin(), frontier.end(), nearer);
        best.push_back(e);
        std::push_heap(best.begin(), best.end(), farther);
        if (best.size() > ef) {
          std::pop_heap(best.begin(), best.end(), farther);
          best.pop_back();
        }
      }
    }
  }
  std::sort(best.begin(), best.end(), farther);
  std::vector<size_t> out;
  for (const Entry& e : best) out.push_back(e.second);
  return out;
}

// Links node `island` from the nearest reached node that can take a link; true if one did. The search
// over reached nodes starts where a greedy descent of the upper levels ends, when that node is reached
// (a shorter walk at level 0 than from the entry point in a large graph), else at the entry point.
bool enter(Relation index, const IndexShape& shape, PageReader& reader, const MetaPage& meta, Nodes* nodes,
           size_t entry, size_t island) {
  std::vector<uint8> code, nav;
  const Id island_id = nodes->ids[island];
  reader.read(island_id, &code, &nav);
  if (code.empty()) return false;
  const size_t nav_bytes = shape.layout.nav_code_bytes();
  nav.resize(nav_bytes);
  size_t start = entry;
  if (meta.entry_level > 0) {
    const CodeQuery q = prepare_code_query(shape, code);
    reader.set_query(q.query.get(), &q.table);
    const size_t descended = nodes->find(descend(reader, meta.entry, meta.entry_level, 0).id);
    reader.set_query(nullptr, nullptr);
    if (descended < nodes->ids.size() && nodes->reached[descended]) start = descended;
  }
  LinkList current, next;
  for (const size_t host : near_reached(index, shape, reader, nodes, code, start,
                                        static_cast<size_t>(shape.ef_construction))) {
    const Id host_id = nodes->ids[host];
    if (!read_links(index, shape, tid_from_key(host_id), 0, &current)) continue;
    size_t replace = current.tids.size();  // the slot to overwrite; size(): append
    if (current.tids.size() >= shape.layout.capacity(0)) {
      int most = 1;
      for (size_t i = 0; i < current.tids.size(); ++i) {
        const size_t target = nodes->find(tid_key(current.tids[i]));
        const int named = target < nodes->ids.size() ? nodes->named[target] : 0;  // a node inserted meanwhile: keep
        if (named > most) {
          most = named;
          replace = i;
        }
      }
      if (replace == current.tids.size()) continue;  // every target depends on this list
    }
    next = current;
    if (replace == current.tids.size()) {
      next.add(tid_from_key(island_id), nav.data(), nav_bytes);
    } else {
      next.tids[replace] = tid_from_key(island_id);
      std::copy(nav.begin(), nav.end(), next.nav.begin() + static_cast<std::ptrdiff_t>(replace * nav_bytes));
    }
    if (!write_links(index, shape, tid_from_key(host_id), 0, current.tids, next)) continue;  // changed meanwhile
    if (replace != current.tids.size()) {
      const size_t dropped = nodes->find(tid_key(current.tids[replace]));
      if (dropped < nodes->ids.size() && nodes->named[dropped] > 0) nodes->named[dropped]--;
    }
    if (nodes->named[island] < 255) nodes->named[island]++;
    return true;
  }
  return false;
}

}  // namespace

size_t reconnect(Relation index, BufferAccessStrategy strategy) {
  return guard([&] {
    const MetaPage meta = read_meta(index);
    if (!ItemPointerIsValid(&meta.entry)) return size_t{0};
    BlockNumber blocks = 0;
    call_postgres([&] { blocks = RelationGetNumberOfBlocks(index); });
    std::shared_ptr<const IndexShape> shape = index_shape(index, meta);
    Nodes nodes;
    for_each_live_node(index, shape->layout, blocks, strategy,
                       [&](Id id, const std::vector<Id>&) { nodes.ids.push_back(id); });
    const size_t n = nodes.ids.size();
    nodes.named.assign(n, 0);
    nodes.seen.assign(n, 0);
    for_each_live_node(index, shape->layout, blocks, strategy, [&](Id, const std::vector<Id>& links) {
      for (Id t : links) {
        const size_t i = nodes.find(t);
        if (i < n && nodes.named[i] < 255) nodes.named[i]++;
      }
    });
    const size_t entry = nodes.find(tid_key(meta.entry));
    if (entry >= n) return size_t{0};  // the entry point is not live: vacuum moves it first
    PageReader reader(index, *shape);
    size_t linked = 0;
    for (int round = 0; round < 4; ++round) {
      nodes.reached.assign(n, 0);
      walk(index, *shape, &nodes, entry);
      bool changed = false;
      for (size_t i = 0; i < n; ++i) {
        if (nodes.reached[i]) continue;
        call_postgres([] { vacuum_delay_point(); });
        if (!enter(index, *shape, reader, meta, &nodes, entry, i)) continue;
        ++linked;
        changed = true;
        walk(index, *shape, &nodes, i);
      }
      if (!changed) break;
    }
    return linked;
  });
}

}  // namespace piramid::pg::hnsw
