// An ivf scan: the query's nearest `probes` lists (by centroid) and the untrained buffer are read; every
// entry gets a key (exact for flat opclasses, from its code for SQ8 and PQ). Flat candidates come out in
// exact order. Quantized candidates are taken `ivf.rerank` at a time in code order, their vectors fetched
// from the table with the scan's snapshot, and each batch is returned in exact order with exact distances.
// When the candidates run out, an iterative scan probes the next lists, up to max_probes.
#include "pg/ivf/scan.h"

#include "pg/am/scan_support.h"
#include "pg/guard.h"
#include "pg/ivf/chain_reader.h"
#include "pg/ivf/codec.h"
#include "pg/ivf/page_ops.h"
#include "pg/ivf/shape.h"
#include "pg/memory.h"

extern "C" {
#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/tableam.h"
#include "catalog/index.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
}

#include <algorithm>
#include <numeric>
#include <unordered_set>

namespace piramid::pg::ivf {
namespace {

constexpr size_t kExactBatch = 64;

struct Candidate {
  float key;
  ItemPointerData tid;
  bool exact;
};

uint64 tid_key(const ItemPointerData& tid) {
  return (uint64(ItemPointerGetBlockNumberNoCheck(&tid)) << 16) | ItemPointerGetOffsetNumberNoCheck(&tid);
}

// Candidate pools are handed from one scan to the next (a few per backend), so a query writes its
// candidates into memory the previous one already brought into the cache instead of fresh memory. The
// spare list is reserved once: giving a pool back (possibly during error cleanup) never allocates.
constexpr size_t kSparePools = 4;
std::vector<std::vector<Candidate>>& spare_pools() {
  static std::vector<std::vector<Candidate>> spares = [] {
    std::vector<std::vector<Candidate>> v;
    v.reserve(kSparePools);
    return v;
  }();
  return spares;
}

std::vector<Candidate> take_spare_pool() {
  auto& spares = spare_pools();
  if (spares.empty()) return {};
  std::vector<Candidate> pool = std::move(spares.back());
  spares.pop_back();
  return pool;
}

struct ScanState {
  ScanState() : pool(take_spare_pool()) {}
  ~ScanState() {
    auto& spares = spare_pools();
    if (spares.size() < kSparePools && pool.capacity() <= (size_t{1} << 20)) {  // keep at most 12 MB each
      pool.clear();
      spares.push_back(std::move(pool));
    }
  }
  ScanState(const ScanState&) = delete;
  ScanState& operator=(const ScanState&) = delete;

  MemoryContext context = nullptr;
  Flavor flavor = Flavor::kIvf;
  ScanSettings settings{};
  OpclassInfo info{};
  bool started = false;
  bool exhausted = false;
  bool all_rows = false;

  MetaPage meta{};
  std::shared_ptr<const IndexShape> shape;
  std::unique_ptr<QueryDistance> query;
  std::vector<int32> order;  // lists, nearest centroid first
  size_t probed = 0;
  size_t probe_limit = 0;

  std::vector<Candidate> pool;  // sorted by key
  size_t pool_next = 0;
  std::vector<Candidate> batch;  // exact keys, sorted
  size_t batch_next = 0;
  std::unordered_set<uint64> returned;
  std::vector<const uint8*> page_codes;  // entries of the list page being read (read_list_into_pool)
  std::vector<size_t> page_slots;        // and where their candidates are in the pool
  std::vector<float> page_keys;

  // all-rows mode: chains still to read (buffer first, then every list)
  std::vector<BlockNumber> chains;
  BlockNumber buffer_chain = InvalidBlockNumber;  // which of them is the untrained buffer (entries)
  BlockShape list_blocks;                         // how the lists hold entries
  bool all_rows_trained = false;                  // the lists are among the chains
  std::vector<ItemPointerData> tids;

  // re-ranking from the heap (Postgres objects, released by release_heap())
  IndexFetchTableData* fetch = nullptr;
  TupleTableSlot* slot = nullptr;
  EState* estate = nullptr;
  IndexInfo* index_info = nullptr;
  MemoryContext row_context = nullptr;  // values read in place during the re-rank (exact_from_heap_page)
  std::vector<uint8> flat;
  std::vector<Buffer> pinned;  // heap pages of the batch being re-ranked (next_batch)
};

// Reads the untrained buffer, adding its entries to the pool with exact keys. A move into lists may
// cut the chain under the reader (chain_reader.h); it then reads the chain again from the head: rows it
// skipped are in lists by then, and rows read twice are returned once. C++ context.
void read_buffer_into_pool(ScanState* s, Relation index) {
  const QueryDistance& q = *s->query;
  for (;;) {
    ChainReader reader(index, s->meta.buffer_head, s->shape->flat_size, nullptr, true);
    reader.set_buffer_chain();
    reader.set_recent_buffers(&s->shape->recent_buffers);
    while (reader.next_page([&](const EntryHeader& h, const uint8* payload, const std::vector<BlockNumber>&) {
      s->pool.push_back(Candidate{q.exact(payload), h.heap_tid, true});
    })) {
    }
    if (!reader.cut()) return;
  }
}

// Reads one list's chain, adding its entries to the pool. C++ context.
void read_list_into_pool(ScanState* s, Relation index, BlockNumber head, int32 list) {
  const IndexShape& shape = *s->shape;
  s->query->set_list(list);
  ChainReader reader(index, head, shape.code_size, nullptr, true);
  reader.set_recent_buffers(&shape.recent_buffers);
  const bool exact = s->query->codes_are_exact();
  const QueryDistance& q = *s->query;
  if (shape.blocks.m > 0) {
    reader.set_blocks(shape.blocks);
    float keys[kBlockSlots];
    while (reader.next_page_blocks([&](const BlockHeader& header, const ItemPointerData* tids, const float* terms,
                                       const uint8* codes) {
      q.block_keys(codes, terms, header.used, keys);
      const size_t at = s->pool.size();
      s->pool.resize(at + header.used);
      Candidate* out = s->pool.data() + at;
      for (size_t slot = 0; slot < header.used; ++slot) {
        if (!ItemPointerIsValid(const_cast<ItemPointer>(&tids[slot]))) continue;
        *out++ = Candidate{keys[slot], tids[slot], false};
      }
      s->pool.resize(static_cast<size_t>(out - s->pool.data()));
    })) {
    }
    return;
  }
  if (shape.codec != Codec::kPq) {
    while (reader.next_page([&](const EntryHeader& h, const uint8* payload, const std::vector<BlockNumber>&) {
      s->pool.push_back(Candidate{q.approximate(payload), h.heap_tid, exact});
    })) {
    }
    return;
  }
  // PQ entries are keyed a page at a time, while the page is locked. A code larger than a page (8-bit
  // codes of very many subvectors) arrives assembled in the reader's buffer, which the next such entry
  // overwrites: it is keyed at once.
  std::vector<const uint8*>& codes = s->page_codes;
  std::vector<size_t>& slots = s->page_slots;
  std::vector<float>& keys = s->page_keys;
  while (reader.next_page(
      [&](const EntryHeader& h, const uint8* payload, const std::vector<BlockNumber>& parts_on) {
        if (parts_on.size() > 1) {
          s->pool.push_back(Candidate{q.approximate(payload), h.heap_tid, exact});
          return;
        }
        codes.push_back(payload);
        slots.push_back(s->pool.size());
        s->pool.push_back(Candidate{0.0f, h.heap_tid, exact});
      },
      [&] {
        keys.resize(codes.size());
        q.approximate_many(codes.data(), codes.size(), keys.data());
        for (size_t i = 0; i < codes.size(); ++i) s->pool[slots[i]].key = keys[i];
        codes.clear();
        slots.clear();
      })) {
  }
}

// Probes up to `count` more lists; false if there were none left. C++ context.
bool probe_more(ScanState* s, Relation index, size_t count) {
  const size_t end = std::min(s->probe_limit, s->probed + count);
  if (s->probed >= end) return false;
  s->pool.erase(s->pool.begin(), s->pool.begin() + static_cast<std::ptrdiff_t>(s->pool_next));
  s->pool_next = 0;
  for (; s->probed < end; ++s->probed) {
    const int32 list = s->order[s->probed];
    // The next list's head page is requested now, so its memory latency overlaps this list's scan.
    if (s->probed + 1 < end)
      ChainReader::prefetch_hint(s->shape->recent_buffers,
                                 s->shape->directory[static_cast<size_t>(s->order[s->probed + 1])].head);
    read_list_into_pool(s, index, s->shape->directory[static_cast<size_t>(list)].head, list);
  }
  return true;
}

void start(ScanState* s, Relation index, const PlainValue& value) {
  for (;;) {
    s->meta = read_meta_cpp(index);
    s->shape = index_shape(index, s->meta);
    if (value.dims != s->shape->dims)
      throw Error(ErrorKind::kDataException, std::string("different ") + value_type_name(s->shape->type) +
                                                 " dimensions " + std::to_string(s->shape->dims) + " and " +
                                                 std::to_string(value.dims));
    s->query = std::make_unique<QueryDistance>(*s->shape, value);
    read_buffer_into_pool(s, index);
    // An untrained index that trained while its buffer was read may have moved rows into lists this scan
    // knows nothing of: start again with the trained shape (this happens once in an index's life).
    if (s->shape->lists > 0 || read_meta_cpp(index).trained_lists == 0) break;
    s->pool.clear();
  }
  const IndexShape& shape = *s->shape;
  if (shape.lists > 0) {
    // Room for twice the entries of average lists probed (by the last statistics), so the pool rarely grows.
    const double rows = std::max<double>(0, index->rd_rel->reltuples);
    s->pool.reserve(static_cast<size_t>(
        std::min(1e6, 2.0 * rows / shape.lists * std::max(1, s->settings.probes)) + s->pool.size()));
    std::vector<float> keys(static_cast<size_t>(shape.lists));
    s->query->centroid_keys(keys.data());
    s->order.resize(keys.size());
    std::iota(s->order.begin(), s->order.end(), 0);
    s->probe_limit = std::min<size_t>(keys.size(), static_cast<size_t>(std::max(s->settings.probes,
        s->settings.iterative_scan != kIterativeOff ? s->settings.max_probes : s->settings.probes)));
    const size_t first = std::min<size_t>(keys.size(), static_cast<size_t>(s->settings.probes));
    std::partial_sort(s->order.begin(), s->order.begin() + static_cast<std::ptrdiff_t>(s->probe_limit), s->order.end(),
                      [&](int32 a, int32 b) { return keys[static_cast<size_t>(a)] < keys[static_cast<size_t>(b)] ||
                                                     (keys[static_cast<size_t>(a)] == keys[static_cast<size_t>(b)] && a < b); });
    s->order.resize(s->probe_limit);
    s->probe_limit = std::max(s->probe_limit, first);
    probe_more(s, index, first);
  }
}

// Sets up what fetching table rows needs (plain glue).
void prepare_heap(ScanState* s, IndexScanDesc scan) {
  MemoryContext old = MemoryContextSwitchTo(s->context);
  s->fetch = table_index_fetch_begin(scan->heapRelation);
  s->slot = table_slot_create(scan->heapRelation, nullptr);
  s->estate = CreateExecutorState();
  s->index_info = BuildIndexInfo(scan->indexRelation);
  MemoryContextSwitchTo(old);
}

void release_heap(ScanState* s) {
  if (s->slot != nullptr) ExecDropSingleTupleTableSlot(s->slot);
  if (s->fetch != nullptr) table_index_fetch_end(s->fetch);
  if (s->estate != nullptr) FreeExecutorState(s->estate);
  s->slot = nullptr;
  s->fetch = nullptr;
  s->estate = nullptr;
}

// The key from the row's value (plain glue).
bool key_from_value(ScanState* s, Datum value, Candidate* c) {
  PlainValue v;
  if (!extract_value(s->info, value, &v) || v.dims != s->shape->dims) return false;
  if (v.type == ValueType::kVector) {
    c->key = s->query->exact(reinterpret_cast<const uint8*>(v.dense));  // the flat payload of a vector
  } else {
    write_flat(v, s->flat.data());
    c->key = s->query->exact(s->flat.data());
  }
  c->exact = true;
  return true;
}

// exact_from_heap for a heap table and a plain column whose value is stored in the row: the visible
// row version is found on its page and the key computed from the value in place, under the page's
// share lock. Skips what a full fetch adds for rows the executor returns (opportunistic pruning, a
// slot). Returns false in *done when the value is not in the row (TOAST): the caller fetches it.
bool exact_from_heap_page(ScanState* s, IndexScanDesc scan, AttrNumber column, Candidate* c, bool* done,
                          Buffer pinned) {
  Relation heap = scan->heapRelation;
  ItemPointerData tid = c->tid;
  Buffer buffer = pinned != InvalidBuffer ? pinned : ReadBuffer(heap, ItemPointerGetBlockNumber(&tid));
  LockBuffer(buffer, BUFFER_LOCK_SHARE);
  HeapTupleData tuple;
  bool all_dead = false;
  bool ok = heap_hot_search_buffer(&tid, heap, buffer, scan->xs_snapshot, &tuple, &all_dead, true);
  *done = true;
  if (ok) {
    bool isnull = false;
    const Datum value = heap_getattr(&tuple, column, RelationGetDescr(heap), &isnull);
    if (isnull) {
      ok = false;
    } else if (VARATT_IS_EXTENDED(DatumGetPointer(value)) && !VARATT_IS_SHORT(DatumGetPointer(value))) {
      *done = false;  // toasted: read through the table AM
    } else {
      if (s->row_context == nullptr)
        s->row_context = AllocSetContextCreate(s->context, "ivf re-rank row", ALLOCSET_SMALL_SIZES);
      MemoryContext old = MemoryContextSwitchTo(s->row_context);
      ok = key_from_value(s, value, c);
      MemoryContextSwitchTo(old);
      MemoryContextReset(s->row_context);
    }
  }
  UnlockReleaseBuffer(buffer);
  return ok;
}

// The indexed table column, or 0 for an expression.
AttrNumber indexed_column(IndexScanDesc scan) { return scan->indexRelation->rd_index->indkey.values[0]; }

// Whether exact_from_heap_page serves this scan.
bool reads_heap_pages(IndexScanDesc scan) {
  return indexed_column(scan) != 0 && scan->heapRelation->rd_tableam == GetHeapamTableAmRoutine();
}

// Pins the heap pages of candidates [0, n) of the batch into `pinned` and asks the CPU for their rows:
// first each page's line pointer, then the bytes of each row. The rows of a batch are scattered over
// the table and rarely in the CPU cache; requesting them all before computing any overlaps their
// memory latency. Only hints: the rows are read later under the page locks. `pinned` holds n buffers,
// all invalid on entry. (plain glue)
void prefetch_heap_rows(ScanState* s, IndexScanDesc scan, size_t n, std::vector<Buffer>* pinned) {
  for (size_t i = 0; i < n; ++i) {
    const Candidate& c = s->batch[i];
    if (c.exact) continue;
    const Buffer buffer = ReadBuffer(scan->heapRelation, ItemPointerGetBlockNumber(&c.tid));
    (*pinned)[i] = buffer;
    __builtin_prefetch(PageGetItemId(BufferGetPage(buffer), ItemPointerGetOffsetNumber(&c.tid)));
  }
  for (size_t i = 0; i < n; ++i) {
    if ((*pinned)[i] == InvalidBuffer) continue;
    const Page page = BufferGetPage((*pinned)[i]);
    const OffsetNumber off = ItemPointerGetOffsetNumber(&s->batch[i].tid);
    if (off > PageGetMaxOffsetNumber(page)) continue;  // read without the lock: a hint only
    const ItemId item = PageGetItemId(page, off);
    if (!ItemIdIsNormal(item)) continue;
    const size_t start = ItemIdGetOffset(item), end = std::min<size_t>(BLCKSZ, start + ItemIdGetLength(item));
    for (size_t at = start; at < end; at += 64) __builtin_prefetch(static_cast<const char*>(page) + at);
  }
}

// Gives candidate c its exact key from its table row as the scan's snapshot sees it; false when the
// snapshot sees no row there (plain glue; the batch was sized beforehand). `pinned`: c's heap page,
// pinned by prefetch_heap_rows (released here), or InvalidBuffer.
bool exact_from_heap(ScanState* s, IndexScanDesc scan, Candidate* c, Buffer pinned = InvalidBuffer) {
  if (reads_heap_pages(scan)) {
    bool done = false;
    const bool ok = exact_from_heap_page(s, scan, indexed_column(scan), c, &done, pinned);
    if (done) return ok;
  } else if (pinned != InvalidBuffer) {
    ReleaseBuffer(pinned);
  }
  if (s->fetch == nullptr) prepare_heap(s, scan);
  bool call_again = false, all_dead = false;
  ItemPointerData tid = c->tid;
  bool found = table_index_fetch_tuple(s->fetch, &tid, scan->xs_snapshot, s->slot, &call_again, &all_dead);
  if (!found) return false;
  ExprContext* econtext = GetPerTupleExprContext(s->estate);
  econtext->ecxt_scantuple = s->slot;
  Datum values[INDEX_MAX_KEYS];
  bool isnull[INDEX_MAX_KEYS];
  MemoryContext old = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
  const AttrNumber column = s->index_info->ii_IndexAttrNumbers[0];
  if (column != 0) {
    values[0] = slot_getattr(s->slot, column, &isnull[0]);  // a plain column: no expression machinery
  } else {
    FormIndexDatum(s->index_info, s->slot, s->estate, values, isnull);
  }
  const bool ok = !isnull[0] && key_from_value(s, values[0], c);
  MemoryContextSwitchTo(old);
  ResetExprContext(econtext);
  ExecClearTuple(s->slot);
  return ok;
}

// Moves the `take` smallest keys of the pool after pool_next to its front, sorted. A quickselect over a
// pool of thousands mispredicts about every other comparison; instead, a bound that about twice `take`
// keys lie under is read off a sample, one partition pass (its branch is almost always "no") moves
// those candidates forward, and the quickselect runs on them alone. Should the sample mislead, the
// whole pool is selected from. C++ context.
void select_smallest(ScanState* s, size_t take) {
  Candidate* c = s->pool.data() + s->pool_next;
  const size_t n = s->pool.size() - s->pool_next;
  const auto by_key = [](const Candidate& a, const Candidate& b) { return a.key < b.key; };
  if (take == 0) return;
  if (take < n) {
    size_t within = n;
    constexpr size_t kSample = 256;
    if (n >= 4 * kSample && take * 16 <= n) {
      float sample[kSample];
      const size_t stride = n / kSample;
      for (size_t i = 0; i < kSample; ++i) sample[i] = c[i * stride].key;
      const size_t rank = std::min(kSample - 1, 2 * take * kSample / n + 4);
      std::nth_element(sample, sample + rank, sample + kSample);
      const float bound = sample[rank];
      Candidate* end = std::partition(c, c + n, [bound](const Candidate& x) { return x.key <= bound; });
      if (static_cast<size_t>(end - c) >= take) within = static_cast<size_t>(end - c);
    }
    std::nth_element(c, c + take, c + within, by_key);
  }
  std::sort(c, c + take, by_key);
}

// Fills the next batch (plain glue around C++ steps). False when the scan is over.
bool next_batch(ScanState* s, IndexScanDesc scan) {
  for (;;) {
    size_t take = 0;
    bool more = true;
    guard([&] {
      s->batch.clear();
      s->batch_next = 0;
      if (s->pool_next >= s->pool.size()) {
        const size_t step = static_cast<size_t>(std::max(1, s->settings.probes));
        more = s->settings.iterative_scan != kIterativeOff && probe_more(s, scan->indexRelation, step);
        if (!more) return;
      }
      // The pool stays unsorted: each batch selects the smallest keys left (a LIMIT query needs one
      // batch). Exact keys come out in exact order whatever the batch size; quantized ones are re-ranked
      // `rerank` at a time.
      const bool exact = s->query->codes_are_exact() || s->shape->lists == 0;
      take = std::min(s->pool.size() - s->pool_next, exact ? kExactBatch : static_cast<size_t>(s->settings.rerank));
      select_smallest(s, take);
      const auto first = s->pool.begin() + static_cast<std::ptrdiff_t>(s->pool_next);
      s->batch.assign(first, first + static_cast<std::ptrdiff_t>(take));
      s->pool_next += take;
      s->flat.resize(s->shape->flat_size);
      s->pinned.assign(take, InvalidBuffer);
    });
    if (!more) return false;
    size_t kept = 0;
    std::vector<Buffer>& pinned = s->pinned;
    const bool prefetch = take > 1 && reads_heap_pages(scan);
    if (prefetch) prefetch_heap_rows(s, scan, take, &pinned);
    for (size_t i = 0; i < take; ++i) {
      Candidate c = s->batch[i];
      const Buffer page = prefetch ? pinned[i] : InvalidBuffer;
      if (s->returned.count(tid_key(c.tid))) {  // a row moved from the buffer into a list meanwhile
        if (page != InvalidBuffer) ReleaseBuffer(page);
        continue;
      }
      if (!c.exact && !exact_from_heap(s, scan, &c, page)) continue;
      s->batch[kept++] = c;
    }
    guard([&] {
      s->batch.resize(kept);
      std::stable_sort(s->batch.begin(), s->batch.end(), [](const Candidate& a, const Candidate& b) { return a.key < b.key; });
    });
    if (kept > 0) return true;
    CHECK_FOR_INTERRUPTS();
  }
}

// NULL or directionless queries: every entry, unordered.
bool next_unordered(ScanState* s, IndexScanDesc scan, ItemPointerData* tid) {
  for (;;) {
    if (s->batch_next < s->tids.size()) {
      *tid = s->tids[s->batch_next++];
      if (s->returned.insert(tid_key(*tid)).second) return true;
      continue;
    }
    bool more = false;
    guard([&] {
      s->tids.clear();
      s->batch_next = 0;
      if (s->chains.empty()) return;
      more = true;
      const bool buffer = s->chains.back() == s->buffer_chain;
      ChainReader reader(scan->indexRelation, s->chains.back(), 0);
      if (buffer) {
        reader.set_buffer_chain();
      } else {
        reader.set_blocks(s->list_blocks);
      }
      s->chains.pop_back();
      while (reader.next_page([&](const EntryHeader& h, const uint8*, const std::vector<BlockNumber>&) {
        s->tids.push_back(h.heap_tid);
      })) {
      }
      if (!buffer) return;
      // The buffer is read first. Cut by a move into lists: read it again from the head. Untrained when
      // the scan began and trained now: its rows may be moving into lists, so read those too.
      if (reader.cut()) {
        s->chains.push_back(s->buffer_chain);
      } else if (!s->all_rows_trained) {
        const MetaPage meta = read_meta_cpp(scan->indexRelation);
        if (meta.trained_lists > 0) {
          std::shared_ptr<const IndexShape> shape = index_shape(scan->indexRelation, meta);
          for (const ListEntry& e : shape->directory) s->chains.push_back(e.head);
          s->list_blocks = shape->blocks;
          s->all_rows_trained = true;
        }
      }
    });
    if (!more) return false;
  }
}

}  // namespace

IndexScanDesc begin_scan(Relation index, int nkeys, int norderbys, Flavor flavor) {
  IndexScanDesc scan = begin_ordered_scan(index, nkeys, norderbys);
  MemoryContext context = AllocSetContextCreate(CurrentMemoryContext, "ivf scan", ALLOCSET_DEFAULT_SIZES);
  ScanState* s = guard([&] { return make_context_owned<ScanState>(context); });
  s->context = context;
  s->flavor = flavor;
  scan->opaque = s;
  return scan;
}

void rescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys, int norderbys) {
  ScanState* old = static_cast<ScanState*>(scan->opaque);
  MemoryContext context = old->context;
  const Flavor flavor = old->flavor;
  release_heap(old);
  MemoryContextReset(context);  // deletes the old state
  ScanState* s = guard([&] { return make_context_owned<ScanState>(context); });
  s->context = context;
  s->flavor = flavor;
  scan->opaque = s;
  store_scan_keys(scan, keys, orderbys);
}

bool get_tuple(IndexScanDesc scan, ScanDirection direction) {
  ScanState* s = static_cast<ScanState*>(scan->opaque);
  if (!s->started) {
    s->started = true;
    start_ordered_scan(scan, "ivf");
    s->settings = scan_settings(s->flavor);
    s->info = index_opclass_info(scan->indexRelation);
    const Datum query = scan->orderByData[0].sk_argument;
    PlainValue value;
    MemoryContext old = MemoryContextSwitchTo(s->context);
    s->all_rows = (scan->orderByData[0].sk_flags & SK_ISNULL) || !extract_value(s->info, query, &value);
    if (s->all_rows) {
      const MetaPage meta = read_meta(scan->indexRelation);
      guard([&] {
        std::shared_ptr<const IndexShape> shape = index_shape(scan->indexRelation, meta);
        for (const ListEntry& e : shape->directory) s->chains.push_back(e.head);
        s->chains.push_back(meta.buffer_head);
        s->buffer_chain = meta.buffer_head;
        s->list_blocks = shape->blocks;
        s->all_rows_trained = meta.trained_lists > 0;
      });
    } else {
      guard([&] { start(s, scan->indexRelation, value); });
    }
    MemoryContextSwitchTo(old);
  }
  scan->xs_recheck = false;
  scan->xs_recheckorderby = false;
  if (s->all_rows) {
    scan->xs_orderbynulls[0] = true;
    return next_unordered(s, scan, &scan->xs_heaptid);
  }
  for (;;) {
    if (s->exhausted) return false;
    while (s->batch_next < s->batch.size()) {
      const Candidate& c = s->batch[s->batch_next++];
      bool fresh = false;
      guard([&] { fresh = s->returned.insert(tid_key(c.tid)).second; });
      if (!fresh) continue;
      scan->xs_heaptid = c.tid;
      scan->xs_orderbyvals[0] = Float8GetDatum(key_to_distance(s->shape->metric, c.key));
      scan->xs_orderbynulls[0] = false;
      return true;
    }
    MemoryContext old = MemoryContextSwitchTo(s->context);
    const bool more = next_batch(s, scan);
    MemoryContextSwitchTo(old);
    if (!more) s->exhausted = true;
  }
}

void end_scan(IndexScanDesc scan) {
  ScanState* s = static_cast<ScanState*>(scan->opaque);
  release_heap(s);
  MemoryContextDelete(s->context);
  scan->opaque = nullptr;
}

}  // namespace piramid::pg::ivf
