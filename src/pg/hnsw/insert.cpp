// Inserting one row into an hnsw index on pages. Each step is its own Generic WAL record, ordered so
// the index is valid between any two of them (a crash can fall anywhere):
//   1. the chunk chain (unreferenced until step 2),
//   2. the node tuple with its own links (reachable only once someone links to it),
//   3. one back-link per neighbour, each under that neighbour's page lock,
//   4. the entry point, if the new node is the highest.
// A crash after step 2 can leave the node unreachable: its transaction did not commit, so the row is
// invisible, and vacuum removes the node with the row.
#include "pg/hnsw/insert.h"

#include "pg/am/scan_support.h"
#include "pg/guard.h"
#include "pg/hnsw/graph_search.h"
#include "pg/hnsw/index_shape.h"
#include "pg/hnsw/links.h"
#include "pg/hnsw/node_codec.h"
#include "pg/hnsw/page_ops.h"
#include "pg/hnsw/page_reader.h"
#include "piramid/hnsw/graph.h"
#include "piramid/hnsw/search.h"

extern "C" {
#include "access/generic_xlog.h"
#include "common/pg_prng.h"
#include "storage/bufmgr.h"
}

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace piramid::pg::hnsw {
namespace {

using piramid::hnsw::Candidate;
using Id = PageReader::Id;

// Codes (and navigation codes) of nodes met during one insertion, for the neighbour-selection heuristic
// and for the lists that will name them.
class CodeCache {
 public:
  explicit CodeCache(PageReader& reader) : reader_(reader) {}
  const std::vector<uint8>& code(Id id) {
    auto it = codes_.find(id);
    if (it != codes_.end()) return it->second;
    std::vector<uint8>& slot = codes_[id];
    const NodeFacts facts = reader_.read(id, &slot, &navs_[id]);
    if (!facts.valid || (facts.flags & kNodeDeleted)) unusable_.insert(id);
    return slot;
  }
  const uint8* nav_code(Id id) {
    code(id);
    return navs_[id].data();
  }
  // Deleted (or vanished) nodes may guide a search but must not become anyone's neighbour.
  bool usable(Id id) {
    code(id);
    return unusable_.count(id) == 0;
  }
  float between(Id a, Id b) {
    const std::vector<uint8>& ca = code(a);
    const std::vector<uint8>& cb = code(b);
    if (ca.empty() || cb.empty()) return std::numeric_limits<float>::infinity();
    return reader_.shape().space->between(ca.data(), cb.data());
  }

 private:
  PageReader& reader_;
  std::unordered_map<Id, std::vector<uint8>> codes_, navs_;
  std::unordered_set<Id> unusable_;
};

// A new node tuple; links[l] are its neighbours at level l, named with their navigation codes.
std::vector<char> make_node_tuple(const IndexShape& shape, const EncodedNode& e, const std::vector<uint8>& nav_code,
                                  int level, ItemPointerData heap_tid, ItemPointerData chain,
                                  const std::vector<LinkList>& links) {
  const size_t inline_code = e.code_in_chain ? 0 : e.code.size();
  std::vector<char> tuple(shape.layout.tuple_size(inline_code, level), 0);
  NodeView view{tuple.data(), shape.layout};
  NodeHeader* h = view.header();
  h->level = static_cast<uint8>(level);
  h->flags = static_cast<uint8>((e.exact ? kNodeExactCode : 0) | (e.code_in_chain ? kNodeCodeInChain : 0));
  h->code_length = static_cast<uint16>(e.code.size());
  h->heap_tid = heap_tid;
  h->chain = chain;
  memcpy(view.code(), e.code.data(), inline_code);
  memcpy(view.nav_code(), nav_code.data(), shape.layout.nav_code_bytes());
  for (int l = 0; l <= level; ++l) copy_list_in(view, l, links[static_cast<size_t>(l)]);
  return tuple;
}

// Adds the first node of an empty index and makes it the entry point, holding the meta page lock so two
// first inserts cannot both become entry points. Returns false (writing nothing) if the index is no
// longer empty.
bool insert_first_node(Relation index, const std::vector<char>& tuple, int level, BlockNumber* hint) {
  bool inserted = false;
  const char* bytes = tuple.data();
  const size_t size = tuple.size();
  call_postgres([&] {
    Buffer meta_buffer = lock_meta(index, BUFFER_LOCK_EXCLUSIVE);
    if (!ItemPointerIsValid(&meta_of(BufferGetPage(meta_buffer))->entry)) {
      const ItemPointerData tid = logged_append(index, kNodePage, bytes, size, hint);
      GenericXLogState* state = GenericXLogStart(index);
      MetaPage* meta = meta_of(GenericXLogRegisterBuffer(state, meta_buffer, 0));
      meta->entry = tid;
      meta->entry_level = static_cast<int16>(level);
      meta->insert_block = *hint;
      meta->inserted += 1;
      GenericXLogFinish(state);
      inserted = true;
    }
    UnlockReleaseBuffer(meta_buffer);
  });
  return inserted;
}

// Adds a link from neighbour `at` to the new node at level l, re-selecting the neighbour's links with the
// heuristic when its list is full. Retries when a concurrent insert changed the list in between. Returns
// whether the list links to the new node afterwards. `force`: a full list keeps the new node in place of
// its farthest link instead (the node's last chance of a way in, see insert_plain).
bool add_back_link(Relation index, const IndexShape& shape, CodeCache& cache, ItemPointerData at, int level,
                   ItemPointerData node, const std::vector<uint8>& node_nav, float distance, bool force = false) {
  LinkList current, next;
  const size_t nav_bytes = shape.layout.nav_code_bytes();
  const auto names_node = [&](const std::vector<ItemPointerData>& tids) {
    return std::any_of(tids.begin(), tids.end(),
                       [&](const ItemPointerData& t) { return ItemPointerEquals(const_cast<ItemPointer>(&t), &node); });
  };
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (!read_links(index, shape, at, level, &current)) return false;
    if (names_node(current.tids)) return true;
    next = current;
    if (current.tids.size() < shape.layout.capacity(level)) {
      next.add(node, node_nav.data(), nav_bytes);
    } else if (force) {
      const Id base = tid_key(at);
      size_t farthest = 0;
      float worst = -1;
      for (size_t i = 0; i < current.tids.size(); ++i) {
        const float d = cache.between(base, tid_key(current.tids[i]));
        if (d > worst) {
          worst = d;
          farthest = i;
        }
      }
      if (worst <= distance) return false;  // the node is the farthest: keeping it would not be a neighbour list
      next.tids[farthest] = node;
      std::copy(node_nav.begin(), node_nav.begin() + static_cast<std::ptrdiff_t>(nav_bytes),
                next.nav.begin() + static_cast<std::ptrdiff_t>(farthest * nav_bytes));
    } else {
      const Id base = tid_key(at);
      std::unordered_map<Id, size_t> position;
      std::vector<Candidate<Id>> pool;
      for (size_t i = 0; i < current.tids.size(); ++i) {
        const Id id = tid_key(current.tids[i]);
        position[id] = i;
        pool.push_back({cache.between(base, id), id});
      }
      pool.push_back({distance, tid_key(node)});
      std::sort(pool.begin(), pool.end(), [](const auto& a, const auto& b) { return a.distance < b.distance; });
      const auto kept = piramid::hnsw::select_neighbors(pool, shape.layout.capacity(level),
                                                        [&](Id a, Id b) { return cache.between(a, b); });
      next.clear();
      for (const auto& k : kept) {
        auto it = position.find(k.id);
        const uint8* nav = it == position.end() ? node_nav.data() : &current.nav[it->second * nav_bytes];
        next.add(tid_from_key(k.id), nav, nav_bytes);
      }
    }
    if (write_links(index, shape, at, level, current.tids, next)) return names_node(next.tids);
  }
  return false;
}

void set_entry_if_higher(Relation index, ItemPointerData node, int level) {
  call_postgres([&] {
    Buffer buffer = lock_meta(index, BUFFER_LOCK_EXCLUSIVE);
    if (level > meta_of(BufferGetPage(buffer))->entry_level) {
      GenericXLogState* state = GenericXLogStart(index);
      MetaPage* meta = meta_of(GenericXLogRegisterBuffer(state, buffer, 0));
      meta->entry = node;
      meta->entry_level = static_cast<int16>(level);
      GenericXLogFinish(state);
    }
    UnlockReleaseBuffer(buffer);
  });
}

void update_hints(Relation index, BlockNumber node_block, BlockNumber chunk_block) {
  // Hints only save a search; they are updated without WAL ordering concerns but still logged.
  call_postgres([&] {
    Buffer buffer = lock_meta(index, BUFFER_LOCK_EXCLUSIVE);
    GenericXLogState* state = GenericXLogStart(index);
    MetaPage* meta = meta_of(GenericXLogRegisterBuffer(state, buffer, 0));
    meta->insert_block = node_block;
    meta->chunk_block = chunk_block;
    GenericXLogFinish(state);
    UnlockReleaseBuffer(buffer);
  });
}

void insert_plain(Relation index, const PlainValue& value, ItemPointerData heap_tid) {
  MetaPage meta = read_meta(index);
  std::shared_ptr<const IndexShape> shape_ptr = index_shape(index, meta);
  const IndexShape& shape = *shape_ptr;
  if (value.dims != shape.dims)
    throw Error(ErrorKind::kDataException,
                "expected " + std::to_string(shape.dims) + " dimensions, not " + std::to_string(value.dims));
  EncodedNode e;
  encode_node(*shape.space, shape.code_kind, shape.layout, value, &e);
  const size_t inline_code = e.code_in_chain ? 0 : e.code.size();
  const int cap = level_cap(shape.layout, shape.code_kind == CodeKind::kSparse
                                              ? kMaxTupleSize - shape.layout.tuple_size(0, 0) - 4 * shape.layout.list_bytes(1)
                                              : inline_code);
  uint64 seed = 0;
  call_postgres([&] { seed = pg_prng_uint64(&pg_global_prng_state); });
  const int level = std::min(piramid::hnsw::random_level(seed, 0, shape.m), cap);

  BlockNumber node_hint = meta.insert_block, chunk_hint = meta.chunk_block;
  ItemPointerData chain;
  ItemPointerSetInvalid(&chain);
  if (!e.chain.empty()) {
    const uint8* bytes = e.chain.data();
    const size_t length = e.chain.size();
    call_postgres([&] { chain = logged_append_chain(index, bytes, length, &chunk_hint); });
  }

  std::vector<uint8> nav_code(shape.layout.nav_code_bytes(), 0);
  if (shape.nav != nullptr) shape.nav->encode(value.dense, nav_code.data());
  std::vector<std::vector<Candidate<Id>>> chosen_links(static_cast<size_t>(level) + 1);
  std::vector<LinkList> links(static_cast<size_t>(level) + 1);
  if (!ItemPointerIsValid(&meta.entry)) {
    if (insert_first_node(index, make_node_tuple(shape, e, nav_code, level, heap_tid, chain, links), level, &node_hint))
      return;
    meta = read_meta(index);  // someone else inserted the first node meanwhile: link to it
  }
  PageReader reader(index, shape);
  CodeCache cache(reader);
  {
    std::unique_ptr<piramid::hnsw::QueryDistance> query =
        shape.code_kind == CodeKind::kSparse ? shape.space->prepare(e.code.data())
        : shape.code_kind == CodeKind::kBits ? shape.space->prepare(value.bits)
                                             : shape.space->prepare(value.dense);
    piramid::hnsw::NavTable table;
    if (shape.nav != nullptr) table = shape.nav->table(value.dense, shape.metric);
    reader.set_query(query.get(), &table);
    if (!e.code_in_chain) reader.set_value_code(&e.code);
    const int top = std::min<int>(level, meta.entry_level);
    const GraphCandidate start = descend(reader, meta.entry, meta.entry_level, top);
    const auto found_per_level = search_levels(reader, start, top, 0, static_cast<size_t>(shape.ef_construction),
                                               /*collapse_duplicates=*/true);
    for (int l = top; l >= 0; --l) {
      std::vector<Candidate<Id>> usable;
      for (const auto& c : found_per_level[static_cast<size_t>(l)]) {
        if (cache.usable(c.id)) usable.push_back(c);
      }
      chosen_links[static_cast<size_t>(l)] = piramid::hnsw::select_neighbors(
          usable, shape.layout.capacity(l), [&](Id a, Id b) { return cache.between(a, b); }, true);
      for (const auto& c : chosen_links[static_cast<size_t>(l)])
        links[static_cast<size_t>(l)].add(tid_from_key(c.id), cache.nav_code(c.id), shape.layout.nav_code_bytes());
    }
  }

  const std::vector<char> tuple = make_node_tuple(shape, e, nav_code, level, heap_tid, chain, links);
  ItemPointerData node;
  const char* bytes = tuple.data();
  const size_t size = tuple.size();
  call_postgres([&] { node = logged_append(index, kNodePage, bytes, size, &node_hint); });
  bool named = false;  // some level-0 list links to the new node
  for (int l = 0; l <= level; ++l) {
    for (const auto& c : chosen_links[static_cast<size_t>(l)]) {
      const bool kept = add_back_link(index, shape, cache, tid_from_key(c.id), l, node, nav_code, c.distance);
      named = named || (l == 0 && kept);
    }
  }
  // Every neighbour's heuristic may have preferred its current links (tight clusters, small m): then no
  // search could reach the new node. The nearest neighbour that can takes it in place of its farthest link.
  for (const auto& c : chosen_links[0]) {
    if (named) break;
    named = add_back_link(index, shape, cache, tid_from_key(c.id), 0, node, nav_code, c.distance, true);
  }
  if (level > meta.entry_level) set_entry_if_higher(index, node, level);
  if (node_hint != meta.insert_block || chunk_hint != meta.chunk_block) update_hints(index, node_hint, chunk_hint);
}

}  // namespace

void insert_value(Relation index, Datum value, ItemPointer heap_tid) {
  insert_indexable(index, value, heap_tid, insert_plain);
}

}  // namespace piramid::pg::hnsw
