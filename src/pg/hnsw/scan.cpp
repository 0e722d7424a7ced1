// An hnsw scan runs a beam search over the graph (navigation codes estimate distances to neighbours, a
// node's own code gives its precise distance when it is expanded; ef_search expanded nodes, or more in an
// iterative scan), re-ranks the candidates with exact distances (from the node's exact code or its stored
// full-precision vector), and returns heap TIDs in exact distance order.
#include "pg/hnsw/scan.h"

#include "pg/am/opclass.h"
#include "pg/am/scan_support.h"
#include "pg/guard.h"
#include "pg/hnsw/graph_search.h"
#include "pg/hnsw/index_shape.h"
#include "pg/hnsw/options.h"
#include "pg/hnsw/page_reader.h"
#include "pg/memory.h"
#include "piramid/distance.h"
#include "piramid/half.h"
#include "piramid/hnsw/search.h"

extern "C" {
#include "access/genam.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
}

#include <algorithm>
#include <cmath>
#include <limits>

namespace piramid::pg::hnsw {
namespace {

using piramid::hnsw::Candidate;
using Id = PageReader::Id;


struct Result {
  float key;  // exact distance key (smaller is closer)
  ItemPointerData heap_tid;
};

struct ScanState {
  MemoryContext context = nullptr;
  bool started = false;
  bool exhausted = false;
  bool all_rows = false;  // NULL or directionless query: every row, in page order
  BlockNumber next_block = 1;
  OffsetNumber next_offset = FirstOffsetNumber;

  std::shared_ptr<const IndexShape> shape;
  std::unique_ptr<PageReader> reader;
  std::unique_ptr<piramid::hnsw::QueryDistance> query;
  piramid::hnsw::NavTable nav_table;
  std::unique_ptr<piramid::hnsw::BeamSearch<PageReader>> search;
  std::vector<float> query_dense;  // the query as floats (normalized for cosine), for re-ranking
  size_t ef = 0;
  std::vector<Result> batch;
  size_t batch_next = 0;
  bool have_last = false;
  bool search_stopped = false;  // an iterative scan reached its limits: only found nodes remain
  float last_key = 0;
  std::vector<uint8> code, full;
  std::vector<float> vector;
};

// The operator's value from a distance key (what ORDER BY compares).
double key_to_distance(Metric metric, float key) {
  switch (metric) {
    case Metric::kL2: return std::sqrt(static_cast<double>(std::max(0.0f, key)));
    case Metric::kCosine: return 1.0 + static_cast<double>(key);
    default: return static_cast<double>(key);
  }
}

float float_key(Metric metric, const float* q, const float* v, size_t n) {
  const DistanceKernels& k = kernels();
  switch (metric) {
    case Metric::kL2: return k.l2sq_f32(q, v, n);
    case Metric::kL1: return k.l1_f32(q, v, n);
    default: return -k.dot_f32(q, v, n);
  }
}

// The exact key of one candidate: its code when codes are exact, else the vector its exact code
// decodes to, else its stored full-precision vector. False for deleted or vanished nodes.
bool exact_result(ScanState* s, Id id, float code_key, Result* out) {
  const IndexShape& shape = *s->shape;
  const bool sq8 = shape.code_kind == CodeKind::kSq8;
  // The search kept what it read when it expanded the node; read the page again only if it did not.
  const ExpandedNode* kept = s->reader->expanded(id);
  const uint8* code = nullptr;
  NodeFacts facts;
  if (kept != nullptr && (!sq8 || kept->code_at != SIZE_MAX)) {
    facts = kept->facts;
    if (sq8) code = s->reader->kept_code(*kept);
  } else {
    facts = s->reader->read(id, sq8 ? &s->code : nullptr);
    code = s->code.data();
  }
  if (!facts.valid || (facts.flags & kNodeDeleted)) return false;
  out->heap_tid = facts.heap_tid;
  out->key = code_key;
  if (!sq8) return true;
  const size_t dims = static_cast<size_t>(shape.dims);
  s->vector.resize(dims);
  if (facts.flags & kNodeExactCode) {
    shape.space->decode(code, s->vector.data());
  } else {
    const size_t offset = (facts.flags & kNodeCodeInChain) ? facts.code_length : 0;
    s->reader->read_chain_bytes(facts, offset, full_vector_bytes(shape.value_type, shape.dims), &s->full);
    if (shape.value_type == ValueType::kHalfvec) {
      const uint16* h = reinterpret_cast<const uint16*>(s->full.data());
      double norm = 0;
      for (size_t i = 0; i < dims; ++i) {
        s->vector[i] = half_to_float(h[i]);
        norm += double(s->vector[i]) * s->vector[i];
      }
      if (shape.metric == Metric::kCosine && norm > 0) {
        const double inv = 1.0 / std::sqrt(norm);
        for (size_t i = 0; i < dims; ++i) s->vector[i] = static_cast<float>(s->vector[i] * inv);
      }
    } else {
      memcpy(s->vector.data(), s->full.data(), dims * sizeof(float));
    }
  }
  out->key = float_key(shape.metric, s->query_dense.data(), s->vector.data(), dims);
  return true;
}

// Takes the next `count` candidates from the search, re-ranks them exactly and makes them the batch.
void next_batch(ScanState* s, size_t count) {
  s->batch.clear();
  s->batch_next = 0;
  for (const Candidate<Id>& c : s->search->take(count)) {
    Result r;
    if (exact_result(s, c.id, c.distance, &r)) s->batch.push_back(r);
  }
  std::stable_sort(s->batch.begin(), s->batch.end(), [](const Result& a, const Result& b) { return a.key < b.key; });
  if (g_settings.iterative_scan == kIterativeStrict && s->have_last) {
    // strict order: drop what sorts before rows already returned
    s->batch.erase(std::remove_if(s->batch.begin(), s->batch.end(), [&](const Result& r) { return r.key < s->last_key; }),
                   s->batch.end());
  }
}

// Prepares the query and runs the first search.
void start(ScanState* s, Relation index, const OpclassInfo& info, const PlainValue& value) {
  const MetaPage meta = read_meta(index);
  s->shape = index_shape(index, meta);
  const IndexShape& shape = *s->shape;
  if (value.dims != shape.dims)
    throw Error(ErrorKind::kDataException, std::string("different ") + value_type_name(info.type) + " dimensions " +
                                               std::to_string(shape.dims) + " and " + std::to_string(value.dims));
  std::vector<uint8> sparse_code;
  if (shape.code_kind == CodeKind::kSparse) {
    sparse_code.resize(piramid::hnsw::sparse_code_size(value.nnz));
    piramid::hnsw::write_sparse_code(value.nnz, value.indices, value.values, sparse_code.data());
    s->query = shape.space->prepare(sparse_code.data());
  } else if (shape.code_kind == CodeKind::kBits) {
    s->query = shape.space->prepare(value.bits);
  } else {
    s->query_dense.assign(value.dense, value.dense + value.dims);
    s->query = shape.space->prepare(s->query_dense.data());
  }
  if (!ItemPointerIsValid(&meta.entry)) {
    s->exhausted = true;
    return;
  }
  if (shape.nav != nullptr) s->nav_table = shape.nav->table(s->query_dense.data(), shape.metric);
  s->reader = std::make_unique<PageReader>(index, shape);
  s->reader->set_query(s->query.get(), &s->nav_table);
  s->reader->keep_expanded();
  const Candidate<Id> current = descend(*s->reader, meta.entry, meta.entry_level, 0);
  s->reader->reset_visited(static_cast<size_t>(g_settings.ef_search) * 64);
  s->reader->visit(current.id);
  s->search = std::make_unique<piramid::hnsw::BeamSearch<PageReader>>(*s->reader, 0);
  s->search->seed(current);
  // Builds make every node reachable at level 0 from the entry point, not necessarily from where the
  // descent lands: the entry point is a seed too (at its distance), so a scan that runs out of nearer
  // candidates still walks on from it.
  const Id entry = tid_key(meta.entry);
  if (entry != current.id && s->reader->visit(entry)) {
    const float entry_distance = s->reader->distance(entry);
    if (std::isfinite(entry_distance)) s->search->seed(Candidate<Id>{entry_distance, entry});
  }
  s->ef = beam_for(g_settings.ef_search);
  s->search->reserve(s->ef * 3);  // about the nodes a first search expands
  s->search->run(s->ef, SIZE_MAX);
  next_batch(s, static_cast<size_t>(g_settings.ef_search));
}

// Continues an iterative scan with a larger ef; false when nothing is left. When hnsw.max_scan_tuples or
// the memory limit stops the graph search, the nodes it already found still come back, nearest first, as
// pgvector does.
bool continue_search(ScanState* s) {
  if (g_settings.iterative_scan == kIterativeOff || s->search == nullptr) return false;
  const size_t max_visited = static_cast<size_t>(g_settings.max_scan_tuples);
  const double memory_limit = g_settings.scan_mem_multiplier * work_mem * 1024.0;
  const size_t batch = static_cast<size_t>(g_settings.ef_search);
  while (!s->search_stopped) {
    if (s->reader->visited().size() >= max_visited ||
        static_cast<double>(s->search->memory_bytes() + s->reader->visited().memory_bytes() + s->reader->kept_bytes()) >
            memory_limit) {
      s->search_stopped = true;
      break;
    }
    s->ef += beam_for(g_settings.ef_search);
    const bool complete = s->search->run(s->ef, max_visited);
    next_batch(s, batch);
    if (!s->batch.empty()) return true;
    if (complete && s->search->pending_results() == 0 && s->search->frontier_size() == 0) return false;
  }
  while (s->search->pending_results() > 0) {
    next_batch(s, batch);
    if (!s->batch.empty()) return true;
  }
  return false;
}

// NULL or directionless queries order every row equally: return all nodes in page order.
bool next_in_page_order(ScanState* s, Relation index, ItemPointerData* heap_tid) {
  const BlockNumber blocks = RelationGetNumberOfBlocks(index);
  for (; s->next_block < blocks; ++s->next_block, s->next_offset = FirstOffsetNumber) {
    Buffer buffer = ReadBuffer(index, s->next_block);
    LockBuffer(buffer, BUFFER_LOCK_SHARE);
    Page page = BufferGetPage(buffer);
    bool found = false;
    if (page_opaque(page)->page_type == kNodePage) {
      for (; s->next_offset <= PageGetMaxOffsetNumber(page) && !found; ++s->next_offset) {
        ItemId item = PageGetItemId(page, s->next_offset);
        if (!ItemIdIsNormal(item)) continue;
        const NodeHeader* h = static_cast<const NodeHeader*>(static_cast<void*>(PageGetItem(page, item)));
        if (h->flags & kNodeDeleted) continue;
        *heap_tid = h->heap_tid;
        found = true;
      }
    }
    UnlockReleaseBuffer(buffer);
    if (found) return true;
  }
  return false;
}

}  // namespace

IndexScanDesc begin_scan(Relation index, int nkeys, int norderbys) {
  IndexScanDesc scan = begin_ordered_scan(index, nkeys, norderbys);
  MemoryContext context = AllocSetContextCreate(CurrentMemoryContext, "hnsw scan", ALLOCSET_DEFAULT_SIZES);
  ScanState* s = guard([&] { return make_context_owned<ScanState>(context); });
  s->context = context;
  scan->opaque = s;
  return scan;
}

void rescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys, int norderbys) {
  ScanState* old = static_cast<ScanState*>(scan->opaque);
  MemoryContext context = old->context;
  MemoryContextReset(context);  // deletes the old state
  ScanState* s = guard([&] { return make_context_owned<ScanState>(context); });
  s->context = context;
  scan->opaque = s;
  store_scan_keys(scan, keys, orderbys);
}

bool get_tuple(IndexScanDesc scan, ScanDirection direction) {
  ScanState* s = static_cast<ScanState*>(scan->opaque);
  if (!s->started) {
    s->started = true;
    start_ordered_scan(scan, "hnsw");
    const Datum query = scan->orderByData[0].sk_argument;
    const OpclassInfo info = index_opclass_info(scan->indexRelation);
    PlainValue value;
    MemoryContext old = MemoryContextSwitchTo(s->context);
    s->all_rows = (scan->orderByData[0].sk_flags & SK_ISNULL) || !extract_value(info, query, &value);
    if (!s->all_rows) guard([&] { start(s, scan->indexRelation, info, value); });
    MemoryContextSwitchTo(old);
  }
  scan->xs_recheck = false;
  scan->xs_recheckorderby = false;
  if (s->all_rows) {
    scan->xs_orderbynulls[0] = true;
    return next_in_page_order(s, scan->indexRelation, &scan->xs_heaptid);
  }
  for (;;) {
    if (s->exhausted) return false;
    if (s->batch_next < s->batch.size()) {
      const Result& r = s->batch[s->batch_next++];
      scan->xs_heaptid = r.heap_tid;
      scan->xs_orderbyvals[0] = Float8GetDatum(key_to_distance(s->shape->metric, r.key));
      scan->xs_orderbynulls[0] = false;
      s->have_last = true;
      s->last_key = r.key;
      return true;
    }
    bool more = false;
    MemoryContext old = MemoryContextSwitchTo(s->context);
    guard([&] { more = continue_search(s); });
    MemoryContextSwitchTo(old);
    if (!more) s->exhausted = true;
  }
}

void end_scan(IndexScanDesc scan) {
  ScanState* s = static_cast<ScanState*>(scan->opaque);
  MemoryContextDelete(s->context);
  scan->opaque = nullptr;
}

}  // namespace piramid::pg::hnsw
