// Building an ivf index in two heap scans: the first counts the rows and keeps a uniform sample (bounded by
// maintenance_work_mem) that k-means and the codec learn from; the second assigns every row to its nearest
// centroid (in batches, on every core) and appends it to its list. Pages are written without WAL and
// logged in bulk at the end. A table with fewer rows than the training threshold gets an untrained
// index: every row goes to the buffer, which scans search exactly, until VACUUM or piramid_ivf_train()
// trains it.
#include "pg/ivf/build.h"

#include "pg/guard.h"
#include "pg/gpu/compute.h"
#include "pg/ivf/codec.h"
#include "pg/ivf/options.h"
#include "pg/ivf/page_ops.h"
#include "pg/ivf/train.h"
#include "pg/memory.h"
#include "piramid/compute/pq4.h"

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

#include <algorithm>
#include <thread>

namespace piramid::pg::ivf {
namespace {

enum BuildPhase { kPhaseSample = 2, kPhaseKMeans = 3, kPhaseAssign = 4, kPhaseLoad = 5 };
constexpr size_t kBatch = 4096;

struct BuildState {
  Relation index = nullptr;
  OpclassInfo info{};
  MetaPage meta{};
  MemoryContext tuple_context = nullptr;
  char* scratch = nullptr;
  double heap_tuples = 0;
  size_t accepted = 0;

  // first scan: reservoir sample of float views
  size_t sample_cap = 0;
  std::vector<float> sample;
  pg_prng_state rng;

  // second scan
  bool trained = false;
  std::shared_ptr<IndexShape> shape;
  std::vector<BlockNumber> tails;
  BlockNumber buffer_tail = InvalidBlockNumber;
  std::vector<float> batch_floats;
  std::vector<ItemPointerData> batch_tids;
  std::vector<uint8> batch_codes;
  std::vector<int32> labels;
  std::vector<uint8> pq_codes;
  size_t written = 0;
  Model model;
  std::vector<ListEntry> heads;
};

void report_progress(int param, int64 value) { pgstat_progress_update_param(param, value); }

void check_dimensions(const BuildState* s, const PlainValue& v) {
  if (v.dims != s->meta.dims)
    ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("expected %d dimensions, not %d", s->meta.dims, v.dims)));
}

void sample_callback(Relation index, ItemPointer tid, Datum* values, bool* isnull, bool alive, void* arg) {
  BuildState* s = static_cast<BuildState*>(arg);
  if (isnull[0]) return;
  MemoryContext old = MemoryContextSwitchTo(s->tuple_context);
  PlainValue v;
  if (extract_value(s->info, values[0], &v)) {
    check_dimensions(s, v);
    const size_t dims = static_cast<size_t>(s->meta.dims);
    const size_t seen = s->accepted++;
    size_t slot = seen;
    if (seen >= s->sample_cap) slot = static_cast<size_t>(pg_prng_uint64_range(&s->rng, 0, seen));
    if (slot < s->sample_cap) {
      guard([&] {
        if (slot * dims >= s->sample.size()) s->sample.resize((slot + 1) * dims);
        float_view(v, s->sample.data() + slot * dims);
      });
    }
    if ((s->accepted & 1023) == 0) {
      report_progress(PROGRESS_CREATEIDX_TUPLES_DONE, static_cast<int64>(s->accepted));
      CHECK_FOR_INTERRUPTS();
    }
  }
  MemoryContextSwitchTo(old);
  MemoryContextReset(s->tuple_context);
}

// Assigns the batch to lists and encodes it (C++), then appends every row (plain glue).
void flush_batch(BuildState* s) {
  const size_t n = s->batch_tids.size();
  if (n == 0) return;
  const IndexShape& shape = *s->shape;
  const size_t dims = static_cast<size_t>(shape.dims);
  guard([&] {
    s->labels.resize(n);
    ComputeContext ctx;
    ctx.threads = std::max(1, std::min<int>(max_parallel_maintenance_workers + 1,
                                            static_cast<int>(std::thread::hardware_concurrency())));
    ctx.interrupt = postgres_interrupt_check();
    const int32 metric = kmeans_metric(shape.metric) == Metric::kL2 ? PMD_METRIC_L2 : PMD_METRIC_INNER_PRODUCT;
    run_compute_job("IVF assignment", static_cast<double>(n), ctx, false,
                    [&](const pmd_compute_api* api, pmd_call* call) {
                      return api->assign_nearest(s->batch_floats.data(), static_cast<int64_t>(n),
                                                 static_cast<int32_t>(dims), shape.centroids.data(), shape.lists,
                                                 metric, s->labels.data(), nullptr, call);
                    });
    if (shape.codec == Codec::kSq8) {
      for (size_t i = 0; i < n; ++i) shape.sq8.encode(s->batch_floats.data() + i * dims, s->batch_codes.data() + i * shape.code_size);
    } else if (shape.codec == Codec::kPq) {
      // PQ codes encode residuals: subtract each row's centroid in place.
      for (size_t i = 0; i < n; ++i) {
        const float* centroid = shape.centroids.data() + static_cast<size_t>(s->labels[i]) * dims;
        float* row = s->batch_floats.data() + i * dims;
        for (size_t d = 0; d < dims; ++d) row[d] -= centroid[d];
      }
      const size_t pq_bytes = shape.pq.code_size();
      s->pq_codes.assign(n * pq_bytes, 0);
      pq_encode(shape.pq, shape.pq_codebooks.data(), s->batch_floats.data(), n, s->pq_codes.data(), ctx);
      for (size_t i = 0; i < n; ++i) {
        uint8* entry = s->batch_codes.data() + i * shape.code_size;
        memcpy(entry, s->pq_codes.data() + i * pq_bytes, pq_bytes);
        if (shape.metric == Metric::kL2) write_pq_term(shape, s->labels[i], entry);
      }
    }
  });
  for (size_t i = 0; i < n; ++i) {
    const int32 list = s->labels[i];
    BlockNumber* tail = &s->tails[static_cast<size_t>(list)];
    *tail = append_list_entry(s->index, shape.blocks, *tail, s->batch_tids[i], s->batch_codes.data() + i * shape.code_size, shape.code_size,
                         false, s->scratch);
  }
  s->written += n;
  report_progress(PROGRESS_CREATEIDX_TUPLES_DONE, static_cast<int64>(s->written));
  s->batch_tids.clear();
}

void load_callback(Relation index, ItemPointer tid, Datum* values, bool* isnull, bool alive, void* arg) {
  BuildState* s = static_cast<BuildState*>(arg);
  s->heap_tuples += 1;
  if (isnull[0]) return;
  MemoryContext old = MemoryContextSwitchTo(s->tuple_context);
  PlainValue v;
  if (extract_value(s->info, values[0], &v)) {
    check_dimensions(s, v);
    if (!s->trained) {
      write_flat(v, reinterpret_cast<uint8*>(s->batch_codes.data()));
      s->buffer_tail = append_entry(index, s->buffer_tail, *tid, s->batch_codes.data(), s->meta.flat_size, false, s->scratch);
      if ((++s->written & 1023) == 0) report_progress(PROGRESS_CREATEIDX_TUPLES_DONE, static_cast<int64>(s->written));
    } else {
      const size_t i = s->batch_tids.size();
      const size_t dims = static_cast<size_t>(s->meta.dims);
      float_view(v, s->batch_floats.data() + i * dims);
      if (s->shape->codec == Codec::kFlat) write_flat(v, s->batch_codes.data() + i * s->shape->code_size);
      s->batch_tids.push_back(*tid);  // reserved to kBatch: never reallocates
      if (s->batch_tids.size() == kBatch) flush_batch(s);
    }
    CHECK_FOR_INTERRUPTS();
  }
  MemoryContextSwitchTo(old);
  MemoryContextReset(s->tuple_context);
}

// The meta page of an index with no rows yet, and its checked options.
MetaPage initial_meta(Relation index, const OpclassInfo& info) {
  MetaPage meta{};
  meta.magic = kMagic;
  meta.version = kVersion;
  meta.dims = column_dimensions(index);
  if (meta.dims < 0)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("column does not have dimensions"),
                    errhint("Declare the column with its dimensions, for example %s(768).", value_type_name(info.type))));
  if (info.type == ValueType::kSparsevec || info.metric == Metric::kL1 || info.metric == Metric::kJaccard)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("ivf indexes do not support %s with this distance", value_type_name(info.type)),
                    errhint("Use an hnsw index for this operator class.")));
  meta.lists = index_lists(index);
  meta.value_type = static_cast<uint8>(info.type);
  meta.metric = static_cast<uint8>(info.metric);
  meta.codec = static_cast<uint8>(info.codec);
  if (info.codec == Codec::kPq) {
    int m = 0, bits = 0;
    pq_options(index, meta.dims, &m, &bits);
    meta.pq_m = m;
    meta.pq_bits = bits;
    // 4-bit codes that the fast scan takes are stored in blocks of 32 (pages.h).
    if (bits == 4 && pq4_fast_scan_fits(static_cast<size_t>(m))) meta.list_layout = kBlockLists;
  }
  meta.code_size = static_cast<uint32>(code_size(info.type, info.codec, info.metric, meta.dims, meta.pq_m, meta.pq_bits));
  meta.flat_size = static_cast<uint32>(flat_size(info.type, meta.dims));
  meta.centroids = meta.codec_blob = meta.directory = InvalidBlockNumber;
  meta.buffer_head = meta.buffer_insert = kMetaBlock + 1;
  meta.free_head = InvalidBlockNumber;
  meta.build_id = pg_prng_uint64(&pg_global_prng_state);
  return meta;
}

}  // namespace

IndexBuildResult* build(Relation heap, Relation index, IndexInfo* index_info) {
  if (RelationGetNumberOfBlocks(index) != 0)
    elog(ERROR, "index \"%s\" already contains data", RelationGetRelationName(index));
  const OpclassInfo info = index_opclass_info(index);
  MetaPage meta = initial_meta(index, info);

  MemoryContext build_context = AllocSetContextCreate(CurrentMemoryContext, "ivf build", ALLOCSET_DEFAULT_SIZES);
  BuildState* s = guard([&] { return make_context_owned<BuildState>(build_context); });
  s->index = index;
  s->info = info;
  s->meta = meta;
  s->tuple_context = AllocSetContextCreate(build_context, "ivf build tuple", ALLOCSET_DEFAULT_SIZES);
  s->scratch = static_cast<char*>(MemoryContextAlloc(build_context, kMaxItemSize));
  const size_t dims = static_cast<size_t>(meta.dims);
  // The sample: 64 rows per list (at least 10,000), within maintenance_work_mem.
  s->sample_cap = std::max<size_t>(static_cast<size_t>(meta.lists) * 64, 10000);
  s->sample_cap = std::min(s->sample_cap, std::max<size_t>(static_cast<size_t>(meta.lists),
                                                           static_cast<size_t>(maintenance_work_mem) * 1024 / (sizeof(float) * dims)));
  pg_prng_seed(&s->rng, 0x5eed1f);

  write_new_meta(index, MAIN_FORKNUM, meta, false);
  s->buffer_tail = new_chain_page(index, kBufferPage, false);

  report_progress(PROGRESS_CREATEIDX_SUBPHASE, kPhaseSample);
  report_progress(PROGRESS_CREATEIDX_TUPLES_TOTAL, static_cast<int64>(heap->rd_rel->reltuples > 0 ? heap->rd_rel->reltuples : 0));
  table_index_build_scan(heap, index, index_info, true, true, sample_callback, s, nullptr);

  const size_t sampled = std::min(s->accepted, s->sample_cap);
  s->trained = s->accepted >= train_threshold(meta);
  guard([&] {
    s->batch_codes.resize(std::max<size_t>(kBatch * meta.code_size, meta.flat_size));
    s->batch_floats.resize(kBatch * dims);
    s->batch_tids.reserve(kBatch);
  });
  if (s->trained) {
    report_progress(PROGRESS_CREATEIDX_SUBPHASE, kPhaseKMeans);
    guard([&] {
      s->model = train_model(meta, s->sample.data(), sampled, [](int phase, int64 done, int64 total) {
        report_progress(PROGRESS_CREATEIDX_TUPLES_TOTAL, total);
        report_progress(PROGRESS_CREATEIDX_TUPLES_DONE, done);
      });
      std::vector<float>().swap(s->sample);
    });
    Model* model = &s->model;
    std::vector<ListEntry>* heads = &s->heads;
    write_model(index, *model, &s->meta, false, heads);
    guard([&] {
      auto shape = std::make_shared<IndexShape>();
      shape->dims = meta.dims;
      shape->type = info.type;
      shape->metric = info.metric;
      shape->codec = info.codec;
      shape->code_size = meta.code_size;
      shape->flat_size = meta.flat_size;
      shape->lists = model->lists;
      shape->centroids = std::move(model->centroids);
      shape->sq8 = model->sq8;
      shape->pq = PqShape{dims, static_cast<size_t>(meta.pq_m), meta.pq_bits};
      shape->pq_codebooks = std::move(model->pq_codebooks);
      shape->blocks = block_shape(s->meta);
      s->shape = shape;
      s->tails.resize(heads->size());
      for (size_t i = 0; i < heads->size(); ++i) s->tails[i] = (*heads)[i].head;
    });
    report_progress(PROGRESS_CREATEIDX_SUBPHASE, kPhaseAssign);
    report_progress(PROGRESS_CREATEIDX_TUPLES_TOTAL, static_cast<int64>(s->accepted));
    report_progress(PROGRESS_CREATEIDX_TUPLES_DONE, 0);
    table_index_build_scan(heap, index, index_info, true, true, load_callback, s, nullptr);
    flush_batch(s);
    guard([&] {
      for (size_t i = 0; i < heads->size(); ++i) (*heads)[i].insert = s->tails[i];
    });
    s->meta.directory = write_directory(index, *heads, false);
  } else {
    report_progress(PROGRESS_CREATEIDX_SUBPHASE, kPhaseLoad);
    table_index_build_scan(heap, index, index_info, true, true, load_callback, s, nullptr);
    s->meta.buffer_insert = s->buffer_tail;
    ereport(NOTICE, (errmsg("ivf index \"%s\" was created untrained: %zu rows are fewer than the %zu it trains from",
                            RelationGetRelationName(index), s->accepted, train_threshold(meta)),
                     errdetail("Rows are kept in a buffer that is searched exactly until the index is trained."),
                     errhint("The index trains itself at the first VACUUM after %zu rows, or now with SELECT "
                             "piramid_ivf_train('%s');",
                             train_threshold(meta), RelationGetRelationName(index))));
  }
  overwrite_meta(index, s->meta, false);

  if (RelationNeedsWAL(index))
    log_newpage_range(index, MAIN_FORKNUM, 0, RelationGetNumberOfBlocks(index), true);

  IndexBuildResult* result = static_cast<IndexBuildResult*>(palloc(sizeof(IndexBuildResult)));
  result->heap_tuples = s->heap_tuples;
  result->index_tuples = static_cast<double>(s->written);
  MemoryContextDelete(build_context);
  return result;
}

void build_empty(Relation index) {
  const OpclassInfo info = index_opclass_info(index);
  write_new_meta(index, INIT_FORKNUM, initial_meta(index, info), true);
  Buffer buffer = ReadBufferExtended(index, INIT_FORKNUM, P_NEW, RBM_NORMAL, nullptr);
  LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
  init_page(BufferGetPage(buffer), kBufferPage);
  MarkBufferDirty(buffer);
  log_newpage_buffer(buffer, true);
  UnlockReleaseBuffer(buffer);
}

char* build_phase_name(int64 phase) {
  switch (phase) {
    case kPhaseSample: return pstrdup("sampling tuples");
    case kPhaseKMeans: return pstrdup("performing k-means");
    case kPhaseAssign: return pstrdup("assigning tuples");
    case kPhaseLoad: return pstrdup("loading tuples into the untrained buffer");
    default: return nullptr;
  }
}

}  // namespace piramid::pg::ivf
