#include "pg/ivf/train.h"

#include "pg/guard.h"
#include "pg/gpu/compute.h"
#include "pg/ivf/chain_reader.h"
#include "pg/ivf/page_ops.h"
#include "pg/ivf/shape.h"
#include "piramid/distance.h"

extern "C" {
#include "access/generic_xlog.h"
#include "common/pg_prng.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
}

#include <algorithm>
#include <thread>
#include <unordered_set>

namespace piramid::pg::ivf {
namespace {

int32 pmd_metric_of(Metric metric) {
  switch (metric) {
    case Metric::kInnerProduct: return PMD_METRIC_INNER_PRODUCT;
    case Metric::kCosine: return PMD_METRIC_COSINE;
    default: return PMD_METRIC_L2;
  }
}

uint64 tid_key(const ItemPointerData& tid) {
  return (uint64(ItemPointerGetBlockNumberNoCheck(&tid)) << 16) | ItemPointerGetOffsetNumberNoCheck(&tid);
}

}  // namespace

size_t train_threshold(const MetaPage& meta) {
  size_t rows = static_cast<size_t>(meta.lists) * 10;
  if (static_cast<Codec>(meta.codec) == Codec::kPq) rows = std::max(rows, size_t{1} << meta.pq_bits);
  return std::max<size_t>(rows, 1);
}

Model train_model(const MetaPage& meta, const float* rows, size_t n,
                  const std::function<void(int phase, int64 done, int64 total)>& progress) {
  Model model;
  const size_t dims = static_cast<size_t>(meta.dims);
  model.lists = static_cast<int32>(std::min<size_t>(static_cast<size_t>(meta.lists), n));
  ComputeContext ctx;
  ctx.threads = std::max(1, std::min<int>(max_parallel_maintenance_workers + 1,
                                          static_cast<int>(std::thread::hardware_concurrency())));
  ctx.interrupt = postgres_interrupt_check();
  ctx.progress = [&](ComputePhase phase, int64_t done, int64_t total) {
    if (progress) progress(static_cast<int>(phase), done, total);
  };
  pmd_kmeans_params params{};
  params.struct_size = sizeof params;
  params.clusters = model.lists;
  params.metric = pmd_metric_of(kmeans_metric(static_cast<Metric>(meta.metric)));
  params.iterations = 10;
  params.seed = 42;
  params.init_rows_per_cluster = 16;
  model.centroids.resize(static_cast<size_t>(model.lists) * dims);
  run_compute_job("IVF k-means", static_cast<double>(n), ctx, true, [&](const pmd_compute_api* api, pmd_call* call) {
    return api->kmeans_train(rows, static_cast<int64_t>(n), static_cast<int32_t>(dims), &params,
                             model.centroids.data(), nullptr, call);
  });
  const Codec codec = static_cast<Codec>(meta.codec);
  if (codec == Codec::kSq8) {
    model.sq8 = Sq8Quantizer::train(rows, n, dims);
  } else if (codec == Codec::kPq) {
    pmd_pq_params pq{};
    pq.struct_size = sizeof pq;
    pq.m = meta.pq_m;
    pq.nbits = meta.pq_bits;
    pq.iterations = 8;
    pq.seed = 7;
    pq.init_rows_per_cluster = 16;
    PqShape shape{dims, static_cast<size_t>(meta.pq_m), meta.pq_bits};
    model.pq_codebooks.resize(shape.codebook_floats());
    // Codebooks learn residuals (row minus its centroid), which are what lists store.
    std::vector<int32_t> labels(n);
    std::vector<float> residuals(rows, rows + n * dims);
    run_compute_job("IVF assignment", static_cast<double>(n), ctx, false, [&](const pmd_compute_api* api, pmd_call* call) {
      return api->assign_nearest(rows, static_cast<int64_t>(n), static_cast<int32_t>(dims), model.centroids.data(),
                                 model.lists, params.metric == PMD_METRIC_L2 ? PMD_METRIC_L2 : PMD_METRIC_INNER_PRODUCT,
                                 labels.data(), nullptr, call);
    });
    for (size_t i = 0; i < n; ++i) {
      const float* centroid = model.centroids.data() + static_cast<size_t>(labels[i]) * dims;
      for (size_t d = 0; d < dims; ++d) residuals[i * dims + d] -= centroid[d];
    }
    run_compute_job("IVF PQ training", static_cast<double>(n), ctx, true,
                    [&](const pmd_compute_api* api, pmd_call* call) {
                      return api->pq_train(residuals.data(), static_cast<int64_t>(n), static_cast<int32_t>(dims), &pq,
                                           model.pq_codebooks.data(), call);
                    });
  }
  return model;
}

void write_model(Relation index, const Model& model, MetaPage* meta, bool logged, std::vector<ListEntry>* heads) {
  meta->centroids = write_blob(index, kBlobPage, model.centroids.data(), sizeof(float) * model.centroids.size(), logged);
  meta->codec_blob = InvalidBlockNumber;
  const Codec codec = static_cast<Codec>(meta->codec);
  if (codec == Codec::kSq8) {
    meta->codec_blob = write_blob(index, kBlobPage, model.sq8.offsets().data(),
                                  sizeof(float) * model.sq8.offsets().size(), logged);
    meta->sq8_step = model.sq8.step();
  } else if (codec == Codec::kPq) {
    meta->codec_blob = write_blob(index, kBlobPage, model.pq_codebooks.data(),
                                  sizeof(float) * model.pq_codebooks.size(), logged);
  }
  heads->resize(static_cast<size_t>(model.lists));
  for (int32 i = 0; i < model.lists; ++i) {
    const BlockNumber block = new_chain_page(index, kListPage, logged);
    (*heads)[static_cast<size_t>(i)] = ListEntry{block, block};
    if ((i & 255) == 0) CHECK_FOR_INTERRUPTS();
  }
  meta->trained_lists = model.lists;
  meta->build_id = pg_prng_uint64(&pg_global_prng_state);
}

BlockNumber write_directory(Relation index, const std::vector<ListEntry>& entries, bool logged) {
  return write_blob(index, kDirectoryPage, entries.data(), sizeof(ListEntry) * entries.size(), logged);
}

int32 nearest_list(const IndexShape& shape, const float* floats) {
  const DistanceKernels& k = kernels();
  const size_t n = static_cast<size_t>(shape.dims);
  const bool l2 = kmeans_metric(shape.metric) == Metric::kL2;
  int32 best = 0;
  float best_key = std::numeric_limits<float>::infinity();
  for (int32 c = 0; c < shape.lists; ++c) {
    const float* centroid = shape.centroids.data() + static_cast<size_t>(c) * n;
    const float key = l2 ? k.l2sq_f32(floats, centroid, n) : -k.dot_f32(floats, centroid, n);
    if (key < best_key) {
      best_key = key;
      best = c;
    }
  }
  return best;
}

namespace {

// Trains the index from the rows in its buffer (a bounded, evenly spread sample) and publishes the model.
// Returns false when there are too few rows.
bool train_untrained(Relation index, MetaPage meta, bool explicit_call) {
  const size_t dims = static_cast<size_t>(meta.dims);
  const size_t budget = std::max<size_t>(size_t(meta.lists), static_cast<size_t>(maintenance_work_mem) * 1024 / (sizeof(float) * dims + 16));
  // Count first, then sample every k-th row so the sample spreads over the whole buffer.
  size_t rows = 0;
  {
    ChainReader reader(index, meta.buffer_head, meta.flat_size);
    reader.set_buffer_chain();
    while (reader.next_page([&](const EntryHeader&, const uint8*, const std::vector<BlockNumber>&) { ++rows; })) {
      call_postgres([] { CHECK_FOR_INTERRUPTS(); });
    }
  }
  const size_t threshold = train_threshold(meta);
  if (rows < threshold && !explicit_call) return false;
  const size_t minimum = std::max<size_t>(size_t(meta.lists), static_cast<Codec>(meta.codec) == Codec::kPq ? size_t{1} << meta.pq_bits : 1);
  if (rows < minimum) {
    const int have = static_cast<int>(rows), need = static_cast<int>(minimum);
    const char* name = RelationGetRelationName(index);
    call_postgres([&] {
      ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                      errmsg("ivf index \"%s\" has %d rows, too few to train", name, have),
                      errdetail("Training needs at least %d rows (one per list%s).", need,
                                need > meta.lists ? " and one per PQ codebook entry" : ""),
                      errhint("Insert more rows, or rebuild the index with fewer lists.")));
    });
  }
  const size_t step = std::max<size_t>(1, (rows + budget - 1) / budget);
  std::vector<float> sample;
  sample.reserve(std::min(rows, budget) * dims);
  size_t seen = 0;
  const ValueType type = static_cast<ValueType>(meta.value_type);
  const Metric metric = static_cast<Metric>(meta.metric);
  {
    ChainReader reader(index, meta.buffer_head, meta.flat_size);
    reader.set_buffer_chain();
    while (reader.next_page([&](const EntryHeader&, const uint8* payload, const std::vector<BlockNumber>&) {
      if (seen++ % step != 0) return;
      const size_t at = sample.size();
      sample.resize(at + dims);
      flat_to_floats(type, metric, meta.dims, payload, sample.data() + at);
    })) {
    }
  }
  const size_t n = sample.size() / dims;
  Model model = train_model(meta, sample.data(), n, nullptr);
  std::vector<float>().swap(sample);
  std::vector<ListEntry> heads;
  call_postgres([&] {
    write_model(index, model, &meta, true, &heads);
    meta.directory = write_directory(index, heads, true);
    // Publishing the meta page is the moment the index becomes trained: from here on inserts go to lists,
    // and scans search the lists as well as the buffer (which still holds every row).
    Buffer buffer = lock_meta(index, BUFFER_LOCK_EXCLUSIVE);
    GenericXLogState* state = GenericXLogStart(index);
    MetaPage* target = meta_of(GenericXLogRegisterBuffer(state, buffer, 0));
    const BlockNumber buffer_insert = target->buffer_insert;
    *target = meta;
    target->buffer_insert = buffer_insert;
    GenericXLogFinish(state);
    UnlockReleaseBuffer(buffer);
  });
  const char* name = RelationGetRelationName(index);
  const int lists = model.lists, trained_rows = static_cast<int>(n), total = static_cast<int>(rows);
  call_postgres([&] {
    ereport(NOTICE, (errmsg("ivf index \"%s\" trained %d lists from %d of its %d buffered rows", name, lists,
                            trained_rows, total),
                     errdetail("The buffered rows now move into their lists.")));
  });
  return true;
}

// Deletes the entries of `moved` from a buffer page (one record).
void delete_moved(Relation index, BlockNumber block, const std::unordered_set<uint64>& moved) {
  call_postgres([&] {
    OffsetNumber* offsets = static_cast<OffsetNumber*>(palloc(sizeof(OffsetNumber) * MaxOffsetNumber));
    Buffer buffer = ReadBuffer(index, block);
    LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
    int count = 0;
    Page page = BufferGetPage(buffer);
    const OffsetNumber max = PageGetMaxOffsetNumber(page);
    for (OffsetNumber off = FirstOffsetNumber; off <= max; ++off) {
      ItemId item = PageGetItemId(page, off);
      if (!ItemIdIsNormal(item)) continue;
      const EntryHeader* h = reinterpret_cast<const EntryHeader*>(PageGetItem(page, item));
      offsets[count] = off;
      count += moved.count(tid_key(h->heap_tid)) ? 1 : 0;
    }
    if (count > 0) {
      GenericXLogState* state = GenericXLogStart(index);
      PageIndexMultiDelete(GenericXLogRegisterBuffer(state, buffer, 0), offsets, count);
      GenericXLogFinish(state);
    }
    UnlockReleaseBuffer(buffer);
    pfree(offsets);
  });
}

}  // namespace

size_t train_from_buffer(Relation index, bool explicit_call) {
  MetaPage meta = read_meta_cpp(index);
  if (meta.trained_lists == 0) {
    if (!train_untrained(index, meta, explicit_call)) return 0;
    meta = read_meta_cpp(index);
  }
  std::shared_ptr<const IndexShape> shape_ptr = index_shape(index, meta);
  const IndexShape& shape = *shape_ptr;
  // Move in batches of whole pages: copy a batch's entries and append each to its list; then delete the
  // moved entries from the head page (which stays) and give the other pages of the batch to the free
  // list, unlinking them from the buffer (free_chain_prefix), so lists growing during the move reuse
  // them. A crash between the two leaves a row in both places; scans return each heap row once, and
  // the next move appends the buffer copy again before freeing it (README.md).
  constexpr size_t kBatch = 2048;
  std::vector<ItemPointerData> tids;
  std::vector<uint8> payloads;
  std::vector<BlockNumber> done_pages;  // pages after the head read to the end and not yet freed, in chain order
  std::vector<float> floats(static_cast<size_t>(shape.dims));
  std::vector<uint8> code(shape.code_size);
  std::vector<BlockNumber> hints(static_cast<size_t>(shape.lists), InvalidBlockNumber);
  char* scratch = nullptr;
  call_postgres([&] { scratch = static_cast<char*>(palloc(kMaxItemSize)); });
  size_t moved_rows = 0;
  ChainReader reader(index, meta.buffer_head, meta.flat_size);
  reader.set_buffer_chain();
  bool more = true, head_clear = false;
  while (more) {
    tids.clear();
    payloads.clear();
    while (tids.size() < kBatch) {
      const BlockNumber block = reader.next_block();
      more = reader.next_page([&](const EntryHeader& h, const uint8* payload, const std::vector<BlockNumber>&) {
        tids.push_back(h.heap_tid);
        payloads.insert(payloads.end(), payload, payload + shape.flat_size);
      });
      if (!more) break;
      if (block != meta.buffer_head) done_pages.push_back(block);
    }
    std::unordered_set<uint64> moved;
    for (size_t i = 0; i < tids.size(); ++i) {
      const uint8* flat = payloads.data() + i * shape.flat_size;
      flat_to_floats(shape.type, shape.metric, shape.dims, flat, floats.data());
      const int32 list = nearest_list(shape, floats.data());
      const uint8* entry = flat;
      if (shape.codec != Codec::kFlat) {
        PlainValue v{};
        v.type = shape.type;
        v.dims = shape.dims;
        v.dense = floats.data();
        encode_entry(shape, v, floats.data(), list, code.data());
        entry = code.data();
      }
      BlockNumber& hint = hints[static_cast<size_t>(list)];
      const ItemPointerData tid = tids[i];
      const size_t length = shape.code_size;
      call_postgres([&] {
        if (hint == InvalidBlockNumber) hint = read_list_entry(index, meta.directory, list).insert;
        hint = append_list_entry(index, shape.blocks, hint, tid, entry, length, true, scratch);
      });
      moved.insert(tid_key(tid));
    }
    // The head page stays: its moved entries are deleted (in later batches too while an entry that
    // starts on it is unfinished).
    if (!head_clear) {
      delete_moved(index, meta.buffer_head, moved);
      head_clear = reader.pending_start() != meta.buffer_head;
    }
    // Pages up to the first part of an entry not read whole yet are free to go (at the chain's end, such
    // parts are leftovers of a crashed insert).
    size_t free_count = done_pages.size();
    const BlockNumber keep = more ? reader.pending_start() : InvalidBlockNumber;
    if (keep != InvalidBlockNumber)
      free_count = static_cast<size_t>(std::find(done_pages.begin(), done_pages.end(), keep) - done_pages.begin());
    call_postgres([&] { free_chain_prefix(index, meta.buffer_head, done_pages.data(), free_count); });
    done_pages.erase(done_pages.begin(), done_pages.begin() + static_cast<std::ptrdiff_t>(free_count));
    moved_rows += tids.size();
    call_postgres([] { CHECK_FOR_INTERRUPTS(); });
  }
  call_postgres([&] {
    for (int32 list = 0; list < shape.lists; ++list) {
      const BlockNumber hint = hints[static_cast<size_t>(list)];
      if (hint != InvalidBlockNumber && hint != read_list_entry(index, meta.directory, list).insert)
        set_insert_hint(index, meta.directory, list, hint);
    }
    if (moved_rows > 0) set_insert_hint(index, InvalidBlockNumber, -1, meta.buffer_head);
  });
  return moved_rows;
}

}  // namespace piramid::pg::ivf
