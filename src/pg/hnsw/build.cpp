// Building an hnsw index: scan the heap and encode every row into compact codes in memory (training the
// quantizer on the first rows), build the graph with worker threads, write all pages at once and WAL-log
// them in bulk. Rows beyond maintenance_work_mem are inserted one by one afterwards.
#include "pg/hnsw/build.h"

#include "pg/guard.h"
#include "pg/hnsw/index_shape.h"
#include "pg/hnsw/insert.h"
#include "pg/hnsw/links.h"
#include "pg/hnsw/node_codec.h"
#include "pg/hnsw/options.h"
#include "pg/hnsw/page_ops.h"
#include "pg/memory.h"
#include "piramid/hnsw/graph.h"
#include "piramid/parallel.h"

extern "C" {
#include "access/tableam.h"
#include "access/xloginsert.h"
#include "commands/progress.h"
#include "common/pg_prng.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "utils/memutils.h"
}

#include <cstring>
#include <thread>

namespace piramid::pg::hnsw {
namespace {

using piramid::hnsw::CodeStore;
using piramid::hnsw::Graph;
using piramid::hnsw::GraphParams;
using piramid::hnsw::NavQuantizer;
using piramid::hnsw::Space;

constexpr size_t kTrainRows = 10000;        // rows the quantizer learns from
constexpr size_t kMinQuantizerRows = 1000;  // below this, codes are exact float32 vectors
constexpr size_t kNavBudgetBytes = 4096;    // navigation codes of a level-0 and a level-1 list, at most

enum BuildPhase { kPhaseLoad = 2, kPhaseGraph = 3, kPhaseWrite = 4, kPhaseOverflow = 5 };

struct BuildState {
  Relation index = nullptr;
  OpclassInfo info{};
  int dims = 0;
  int m = 0, ef_construction = 0;
  NodeLayout layout{};
  uint64 build_id = 0;
  int threads = 1;
  size_t budget_rows = 0;
  size_t expected_rows = 0;  // the planner's estimate of the table's rows
  size_t train_rows = kTrainRows;
  MemoryContext tuple_context = nullptr;
  BuildAppender appender{};
  double heap_tuples = 0;
  size_t accepted = 0;  // rows with an indexable value, in scan order
  size_t overflow = 0;  // accepted rows beyond budget_rows

  bool kind_decided = false;
  CodeKind kind = CodeKind::kFloat;
  Sq8Quantizer quantizer;
  std::unique_ptr<Space> space;
  std::unique_ptr<CodeStore> codes;
  std::unique_ptr<NavQuantizer> nav;  // navigation codes (dense vectors with a quantizer, not L1)
  std::vector<uint8> nav_codes;       // one per node, nav->code_bytes() each
  std::vector<ItemPointerData> heap_tids, chains, node_tids;
  std::vector<uint8> node_flags;
  EncodedNode scratch;
  LinkList list_scratch;

  // Rows waiting for the quantizer: dense floats (and halfvec elements) in scan order.
  std::vector<float> pending_dense;
  std::vector<uint16> pending_half;
  std::vector<ItemPointerData> pending_tids;

  std::unique_ptr<Graph> graph;
};

void report_progress(int param, int64 value) { pgstat_progress_update_param(param, value); }

// Encodes one row and keeps it for the graph; writes its chunk chain (C++ context: Postgres via call_postgres).
void add_encoded(BuildState* s, const PlainValue& v, ItemPointerData heap_tid) {
  encode_node(*s->space, s->kind, s->layout, v, &s->scratch);
  const EncodedNode& e = s->scratch;
  std::memcpy(s->codes->append(e.code.size()), e.code.data(), e.code.size());
  if (s->nav != nullptr) {
    const size_t at = s->nav_codes.size();
    s->nav_codes.resize(at + s->nav->code_bytes());
    s->nav->encode(v.dense, &s->nav_codes[at]);
  }
  ItemPointerData chain;
  ItemPointerSetInvalid(&chain);
  if (!e.chain.empty()) {
    const uint8* bytes = e.chain.data();
    const size_t length = e.chain.size();
    call_postgres([&] { chain = build_append_chain(&s->appender, bytes, length); });
  }
  s->heap_tids.push_back(heap_tid);
  s->chains.push_back(chain);
  s->node_flags.push_back(static_cast<uint8>((e.exact ? kNodeExactCode : 0) | (e.code_in_chain ? kNodeCodeInChain : 0)));
}

// Chooses the code kind once enough rows are known, then encodes the rows kept so far.
void decide_kind(BuildState* s) {
  const size_t rows = s->pending_tids.size();
  if (s->info.type == ValueType::kVector || s->info.type == ValueType::kHalfvec) {
    if (rows >= kMinQuantizerRows) {
      s->kind = CodeKind::kSq8;
      s->quantizer = Sq8Quantizer::train(s->pending_dense.data(), rows, static_cast<size_t>(s->dims));
      if (s->info.metric != Metric::kL1) {
        const size_t subspaces = piramid::hnsw::nav_subspaces(static_cast<size_t>(s->dims), s->m, kNavBudgetBytes);
        ComputeContext ctx;
        ctx.threads = s->threads;
        ctx.interrupt = postgres_interrupt_check();
        s->nav = std::make_unique<NavQuantizer>(NavQuantizer::train(s->pending_dense.data(), rows,
                                                                    static_cast<size_t>(s->dims), subspaces,
                                                                    s->build_id, ctx));
        s->layout.nav_subspaces = static_cast<int>(subspaces);
      }
    } else {
      s->kind = CodeKind::kFloat;
    }
  } else {
    s->kind = s->info.type == ValueType::kBit ? CodeKind::kBits : CodeKind::kSparse;
  }
  s->space = make_space(s->kind, s->info.metric, s->dims, s->quantizer);
  s->codes = std::make_unique<CodeStore>(s->space->code_size());
  s->codes->reserve(std::min(s->budget_rows, s->expected_rows), 64);
  s->kind_decided = true;
  for (size_t i = 0; i < rows; ++i) {
    PlainValue v{};
    v.type = s->info.type;
    v.dims = s->dims;
    v.dense = &s->pending_dense[i * s->dims];
    if (!s->pending_half.empty()) v.half = &s->pending_half[i * s->dims];
    add_encoded(s, v, s->pending_tids[i]);
  }
  std::vector<float>().swap(s->pending_dense);
  std::vector<uint16>().swap(s->pending_half);
  std::vector<ItemPointerData>().swap(s->pending_tids);
}

// One indexable row from the heap scan (C++ context).
void accept_row(BuildState* s, const PlainValue& v, ItemPointerData heap_tid) {
  if (s->accepted++ >= s->budget_rows) {
    ++s->overflow;
    return;
  }
  if (s->kind_decided) {
    add_encoded(s, v, heap_tid);
    return;
  }
  if (v.type != ValueType::kVector && v.type != ValueType::kHalfvec) {
    decide_kind(s);
    add_encoded(s, v, heap_tid);
    return;
  }
  s->pending_dense.insert(s->pending_dense.end(), v.dense, v.dense + v.dims);
  if (v.half != nullptr) s->pending_half.insert(s->pending_half.end(), v.half, v.half + v.dims);
  s->pending_tids.push_back(heap_tid);
  if (s->pending_tids.size() >= s->train_rows) decide_kind(s);
}

void check_dimensions(const BuildState* s, const PlainValue& v) {
  if (v.dims != s->dims)
    ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("expected %d dimensions, not %d", s->dims, v.dims)));
}

// table_index_build_scan callback (called from Postgres' frames: plain glue, C++ inside guard()).
void build_callback(Relation index, ItemPointer tid, Datum* values, bool* isnull, bool alive, void* arg) {
  BuildState* s = static_cast<BuildState*>(arg);
  s->heap_tuples += 1;
  if (isnull[0]) return;
  MemoryContext old = MemoryContextSwitchTo(s->tuple_context);
  PlainValue v;
  if (extract_value(s->info, values[0], &v)) {
    check_dimensions(s, v);
    const ItemPointerData heap_tid = *tid;
    guard([&] { accept_row(s, v, heap_tid); });
    if (s->accepted == s->budget_rows + 1)
      ereport(NOTICE, (errmsg("hnsw graph no longer fits into maintenance_work_mem after %zu tuples", s->budget_rows),
                       errdetail("The remaining tuples are inserted one by one after the graph is written, which is slower."),
                       errhint("Increase maintenance_work_mem to speed up builds.")));
    if ((s->accepted & 1023) == 0) report_progress(PROGRESS_CREATEIDX_TUPLES_DONE, static_cast<int64>(s->accepted));
  }
  MemoryContextSwitchTo(old);
  MemoryContextReset(s->tuple_context);
}

// Second scan for rows that did not fit in memory: the same rows in the same order, so the first
// budget_rows accepted ones are skipped and the rest inserted into the written index.
struct OverflowState {
  BuildState* build;
  size_t seen;
};

void overflow_callback(Relation index, ItemPointer tid, Datum* values, bool* isnull, bool alive, void* arg) {
  OverflowState* o = static_cast<OverflowState*>(arg);
  if (isnull[0]) return;
  MemoryContext old = MemoryContextSwitchTo(o->build->tuple_context);
  PlainValue v;
  if (extract_value(o->build->info, values[0], &v) && o->seen++ >= o->build->budget_rows) {
    insert_value(index, values[0], tid);
    report_progress(PROGRESS_CREATEIDX_TUPLES_DONE, static_cast<int64>(o->seen - o->build->budget_rows));
  }
  MemoryContextSwitchTo(old);
  MemoryContextReset(o->build->tuple_context);
}

// Predicts the TID every node gets when written in order onto fresh pages starting at first_block
// (PageAddItem's arithmetic), so links can be written in one pass.
void assign_node_tids(BuildState* s, BlockNumber first_block) {
  const size_t n = s->graph->size();
  s->node_tids.resize(n);
  BlockNumber block = first_block;
  size_t lower = SizeOfPageHeaderData, upper = BLCKSZ - MAXALIGN(sizeof(PageOpaque));
  OffsetNumber offset = 0;
  for (size_t i = 0; i < n; ++i) {
    const size_t inline_code = (s->node_flags[i] & kNodeCodeInChain) ? 0 : s->space->code_length(s->codes->code(static_cast<uint32>(i)));
    const size_t aligned = MAXALIGN(s->layout.tuple_size(inline_code, s->graph->level(static_cast<uint32>(i))));
    if (offset > 0 && lower + sizeof(ItemIdData) + aligned > upper) {
      ++block;
      lower = SizeOfPageHeaderData;
      upper = BLCKSZ - MAXALIGN(sizeof(PageOpaque));
      offset = 0;
    }
    lower += sizeof(ItemIdData);
    upper -= aligned;
    ItemPointerSet(&s->node_tids[i], block, ++offset);
  }
}

// Writes node i's tuple into buf (plain memory); returns its size.
size_t make_node_tuple(BuildState* s, uint32 i, char* buf) {
  const uint8 flags = s->node_flags[i];
  const uint8* code = s->codes->code(i);
  const size_t code_length = s->space->code_length(code);
  const size_t inline_code = (flags & kNodeCodeInChain) ? 0 : code_length;
  const int level = s->graph->level(i);
  const size_t size = s->layout.tuple_size(inline_code, level);
  memset(buf, 0, size);
  NodeView view{buf, s->layout};
  NodeHeader* h = view.header();
  h->level = static_cast<uint8>(level);
  h->flags = flags;
  h->code_length = static_cast<uint16>(code_length);
  h->heap_tid = s->heap_tids[i];
  h->chain = s->chains[i];
  memcpy(view.code(), code, inline_code);
  const size_t nav_bytes = s->layout.nav_code_bytes();
  if (nav_bytes > 0) memcpy(view.nav_code(), &s->nav_codes[static_cast<size_t>(i) * nav_bytes], nav_bytes);
  LinkList* list = &s->list_scratch;
  for (int l = 0; l <= level; ++l) {
    size_t count = 0;
    const uint32* links = s->graph->link_data(i, l, &count);
    list->clear();
    for (size_t k = 0; k < count; ++k)
      list->add(s->node_tids[links[k]], nav_bytes > 0 ? &s->nav_codes[links[k] * nav_bytes] : nullptr, nav_bytes);
    copy_list_in(view, l, *list);
  }
  return size;
}

void write_meta(Relation index, ForkNumber fork, const MetaPage& contents, bool log) {
  Buffer buffer = ReadBufferExtended(index, fork, P_NEW, RBM_NORMAL, nullptr);
  if (BufferGetBlockNumber(buffer) != kMetaBlock)
    elog(ERROR, "hnsw meta page must be block 0, got %u", BufferGetBlockNumber(buffer));
  LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
  Page page = BufferGetPage(buffer);
  init_page(page, kMetaPage);
  *meta_of(page) = contents;
  // pd_lower past the meta data: WAL full-page images drop the "hole" between pd_lower and pd_upper.
  reinterpret_cast<PageHeader>(page)->pd_lower = static_cast<LocationIndex>(
      reinterpret_cast<char*>(meta_of(page)) + sizeof(MetaPage) - reinterpret_cast<char*>(page));
  MarkBufferDirty(buffer);
  if (log) log_newpage_buffer(buffer, true);
  UnlockReleaseBuffer(buffer);
}

void update_meta(Relation index, const MetaPage& contents) {
  Buffer buffer = ReadBuffer(index, kMetaBlock);
  LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
  *meta_of(BufferGetPage(buffer)) = contents;
  MarkBufferDirty(buffer);
  UnlockReleaseBuffer(buffer);
}

MetaPage empty_meta(const OpclassInfo& info, int dims, int m, int ef_construction, CodeKind kind) {
  MetaPage meta{};
  meta.magic = kMagic;
  meta.version = kVersion;
  meta.dims = dims;
  meta.m = static_cast<uint16>(m);
  meta.ef_construction = static_cast<uint16>(ef_construction);
  meta.value_type = static_cast<uint8>(info.type);
  meta.metric = static_cast<uint8>(info.metric);
  meta.code_kind = static_cast<uint8>(kind);
  meta.code_size = static_cast<uint32>(code_bytes_for(kind, info.metric, dims));
  if (kind == CodeKind::kSparse) meta.code_size = 0;
  ItemPointerSetInvalid(&meta.entry);
  meta.entry_level = -1;
  ItemPointerSetInvalid(&meta.quantizer);
  ItemPointerSetInvalid(&meta.nav_codebooks);
  meta.insert_block = InvalidBlockNumber;
  meta.chunk_block = InvalidBlockNumber;
  meta.build_id = pg_prng_uint64(&pg_global_prng_state);
  return meta;
}

CodeKind kind_for_empty(ValueType type) {
  if (type == ValueType::kBit) return CodeKind::kBits;
  if (type == ValueType::kSparsevec) return CodeKind::kSparse;
  return CodeKind::kFloat;
}

// Checks the column and options; fills dims, m and ef_construction.
void check_build_inputs(Relation index, const OpclassInfo& info, int* dims, int* m, int* ef_construction) {
  index_options(index, m, ef_construction);
  if (*ef_construction < 2 * *m)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("ef_construction must be greater than or equal to 2 * m"),
                    errdetail("m is %d and ef_construction is %d.", *m, *ef_construction),
                    errhint("Use ef_construction = %d or more, or a smaller m.", 2 * *m)));
  *dims = column_dimensions(index);
  if (*dims < 0)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("column does not have dimensions"),
                    errhint("Declare the column with its dimensions, for example %s(768).", value_type_name(info.type))));
}

}  // namespace

IndexBuildResult* build(Relation heap, Relation index, IndexInfo* index_info) {
  if (RelationGetNumberOfBlocks(index) != 0)
    elog(ERROR, "index \"%s\" already contains data", RelationGetRelationName(index));
  const OpclassInfo info = index_opclass_info(index);
  int dims = 0, m = 0, ef_construction = 0;
  check_build_inputs(index, info, &dims, &m, &ef_construction);

  MemoryContext build_context = AllocSetContextCreate(CurrentMemoryContext, "hnsw build", ALLOCSET_DEFAULT_SIZES);
  BuildState* s = guard([&] { return make_context_owned<BuildState>(build_context); });
  s->index = index;
  s->info = info;
  s->dims = dims;
  s->m = m;
  s->ef_construction = ef_construction;
  s->layout = NodeLayout{m};
  s->tuple_context = AllocSetContextCreate(build_context, "hnsw build tuple", ALLOCSET_DEFAULT_SIZES);
  MetaPage meta = empty_meta(info, dims, m, ef_construction, kind_for_empty(info.type));
  s->build_id = meta.build_id;
  const int threads = std::max(1, std::min<int>(max_parallel_maintenance_workers + 1,
                                                static_cast<int>(std::thread::hardware_concurrency())));
  s->threads = threads;
  {
    // Rows that fit maintenance_work_mem: each needs its code, bookkeeping, its graph links and a visit mark
    // per worker thread.
    const size_t per_row = code_bytes_for(info.type == ValueType::kVector || info.type == ValueType::kHalfvec
                                              ? CodeKind::kSq8 : kind_for_empty(info.type),
                                          info.metric, dims) +
                           3 * sizeof(ItemPointerData) + 1 + Graph::estimate_bytes(1, m) + 4 * threads +
                           static_cast<size_t>(dims) / 16 + 1;  // navigation code
    s->budget_rows = std::max<size_t>(kMinQuantizerRows, static_cast<size_t>(maintenance_work_mem) * 1024 / per_row);
    s->train_rows = std::min(kTrainRows, s->budget_rows);
    s->expected_rows = static_cast<size_t>(heap->rd_rel->reltuples > 0 ? heap->rd_rel->reltuples * 1.1 : 1024);
  }

  write_meta(index, MAIN_FORKNUM, meta, false);
  build_appender_begin(&s->appender, index);

  report_progress(PROGRESS_CREATEIDX_SUBPHASE, kPhaseLoad);
  report_progress(PROGRESS_CREATEIDX_TUPLES_TOTAL, static_cast<int64>(heap->rd_rel->reltuples > 0 ? heap->rd_rel->reltuples : 0));
  table_index_build_scan(heap, index, index_info, true, true, build_callback, s, nullptr);

  guard([&] {
    if (!s->kind_decided) decide_kind(s);
    // A node's tuple must fit one page: cap levels by the room left after its inline code.
    size_t widest_inline = 0;
    if (s->kind == CodeKind::kSparse) {
      widest_inline = kMaxTupleSize - s->layout.tuple_size(0, 0) - 4 * s->layout.list_bytes(1);
    } else if (!code_fits_inline(s->layout, s->space->code_size())) {
      widest_inline = 0;
    } else {
      widest_inline = s->space->code_size();
    }
    GraphParams params{m, ef_construction, level_cap(s->layout, widest_inline)};
    s->graph = std::make_unique<Graph>(*s->space, *s->codes, params, s->build_id);
  });

  report_progress(PROGRESS_CREATEIDX_SUBPHASE, kPhaseGraph);
  report_progress(PROGRESS_CREATEIDX_TUPLES_TOTAL, static_cast<int64>(s->graph->size()));
  report_progress(PROGRESS_CREATEIDX_TUPLES_DONE, 0);
  guard([&] {
    s->graph->build(threads, postgres_interrupt_check(),
                    [](size_t done) { report_progress(PROGRESS_CREATEIDX_TUPLES_DONE, static_cast<int64>(done)); });
  });

  // Write: quantizer chain, then every node in order on fresh pages.
  report_progress(PROGRESS_CREATEIDX_SUBPHASE, kPhaseWrite);
  if (s->kind == CodeKind::kSq8) {
    const float* offsets = s->quantizer.offsets().data();
    meta.quantizer = build_append_chain(&s->appender, offsets, sizeof(float) * static_cast<size_t>(dims));
    meta.sq8_step = s->quantizer.step();
  }
  if (s->nav != nullptr) {
    // One chain: the codebooks, then the rotation's matrices.
    std::vector<float> floats = s->nav->codebooks();
    const std::vector<float>& matrices = s->nav->rotation().matrices();
    floats.insert(floats.end(), matrices.begin(), matrices.end());
    meta.nav_codebooks = build_append_chain(&s->appender, floats.data(), sizeof(float) * floats.size());
    meta.nav_subspaces = static_cast<uint16>(s->nav->subspaces());
    meta.nav_rotation_block = static_cast<uint16>(s->nav->rotation().block_dims());
  }
  build_appender_end(&s->appender);
  guard([&] { assign_node_tids(s, RelationGetNumberOfBlocks(index)); });
  char* tuple = static_cast<char*>(palloc(kMaxTupleSize));
  const uint32 n = static_cast<uint32>(s->graph->size());
  for (uint32 i = 0; i < n; ++i) {
    const size_t size = guard([&] { return make_node_tuple(s, i, tuple); });
    const ItemPointerData tid = build_append(&s->appender, kNodePage, tuple, size);
    if (!ItemPointerEquals(const_cast<ItemPointer>(&tid), &s->node_tids[i]))
      elog(ERROR, "hnsw build placed node %u at (%u,%u), expected (%u,%u)", i, ItemPointerGetBlockNumber(&tid),
           ItemPointerGetOffsetNumber(&tid), ItemPointerGetBlockNumber(&s->node_tids[i]),
           ItemPointerGetOffsetNumber(&s->node_tids[i]));
    if ((i & 1023) == 0) {
      CHECK_FOR_INTERRUPTS();
      report_progress(PROGRESS_CREATEIDX_TUPLES_DONE, i);
    }
  }
  build_appender_end(&s->appender);

  meta.code_kind = static_cast<uint8>(s->kind);
  meta.code_size = static_cast<uint32>(s->space->code_size());
  if (n > 0) {
    meta.entry = s->node_tids[s->graph->entry_point()];
    meta.entry_level = static_cast<int16>(s->graph->max_level());
    meta.insert_block = RelationGetNumberOfBlocks(index) - 1;
  }
  meta.inserted = n;
  meta.checked_rows = n;
  update_meta(index, meta);

  if (RelationNeedsWAL(index))
    log_newpage_range(index, MAIN_FORKNUM, 0, RelationGetNumberOfBlocks(index), true);

  if (s->overflow > 0) {
    report_progress(PROGRESS_CREATEIDX_SUBPHASE, kPhaseOverflow);
    report_progress(PROGRESS_CREATEIDX_TUPLES_TOTAL, static_cast<int64>(s->overflow));
    OverflowState overflow{s, 0};
    table_index_build_scan(heap, index, index_info, true, true, overflow_callback, &overflow, nullptr);
  }

  IndexBuildResult* result = static_cast<IndexBuildResult*>(palloc(sizeof(IndexBuildResult)));
  result->heap_tuples = s->heap_tuples;
  result->index_tuples = static_cast<double>(s->accepted);
  MemoryContextDelete(build_context);
  return result;
}

void build_empty(Relation index) {
  const OpclassInfo info = index_opclass_info(index);
  int dims = 0, m = 0, ef_construction = 0;
  check_build_inputs(index, info, &dims, &m, &ef_construction);
  write_meta(index, INIT_FORKNUM, empty_meta(info, dims, m, ef_construction, kind_for_empty(info.type)), true);
}

char* build_phase_name(int64 phase) {
  switch (phase) {
    case kPhaseLoad: return pstrdup("loading tuples");
    case kPhaseGraph: return pstrdup("building graph");
    case kPhaseWrite: return pstrdup("writing pages");
    case kPhaseOverflow: return pstrdup("inserting remaining tuples");
    default: return nullptr;
  }
}

}  // namespace piramid::pg::hnsw
