#include "pg/ivf/shape.h"

#include "pg/guard.h"
#include "pg/ivf/page_ops.h"
#include "piramid/error.h"
#include "piramid/half.h"

#include <algorithm>
#include <cmath>

#include <list>
#include <string>

namespace piramid::pg::ivf {
namespace {

struct CacheEntry {
  Oid index;
  uint64 build_id;
  std::shared_ptr<const IndexShape> shape;
};

// A few recently used shapes; a query loop over one index hits the first entry every time.
std::list<CacheEntry>& cache() {
  static std::list<CacheEntry> entries;
  return entries;
}
constexpr size_t kCacheEntries = 8;

void read_blob_cpp(Relation index, BlockNumber first, void* dst, size_t length, const char* what) {
  bool ok = false;
  call_postgres([&] { ok = read_blob(index, first, dst, length); });
  if (!ok)
    throw Error(ErrorKind::kIndexCorrupted, std::string("ivf index \"") + RelationGetRelationName(index) +
                                                "\" has a truncated " + what,
                "", "REINDEX the index.");
}

void set_probe_centroids(IndexShape* shape) {
  float max_abs = 0;
  for (float v : shape->centroids) max_abs = std::max(max_abs, std::fabs(v));
  if (!(max_abs > 0) || !std::isfinite(max_abs)) return;
  // A power of two keeps the scaling exact; the largest component lands near 1024, far from both the
  // overflow (65504) and the subnormal range of binary16.
  shape->probe_scale = std::ldexp(1.0f, static_cast<int>(std::lround(std::log2(1024.0 / max_abs))));
  shape->probe_centroids.resize(shape->centroids.size());
  for (size_t i = 0; i < shape->centroids.size(); ++i)
    shape->probe_centroids[i] = float_to_half(shape->centroids[i] * shape->probe_scale);
  const size_t dims = static_cast<size_t>(shape->dims);
  shape->probe_norms.assign(static_cast<size_t>(shape->lists), 0.0f);
  for (size_t c = 0; c < shape->probe_norms.size(); ++c) {
    double sum = 0;
    for (size_t i = 0; i < dims; ++i) {
      const double v = half_to_float(shape->probe_centroids[c * dims + i]);
      sum += v * v;
    }
    shape->probe_norms[c] = static_cast<float>(sum);
  }
}

std::shared_ptr<IndexShape> load(Relation index, const MetaPage& meta) {
  auto shape = std::make_shared<IndexShape>();
  shape->dims = meta.dims;
  shape->type = static_cast<ValueType>(meta.value_type);
  shape->metric = static_cast<Metric>(meta.metric);
  shape->codec = static_cast<Codec>(meta.codec);
  shape->code_size = meta.code_size;
  shape->flat_size = meta.flat_size;
  shape->lists = meta.trained_lists;
  shape->build_id = meta.build_id;
  shape->blocks = block_shape(meta);
  if (shape->codec == Codec::kPq) {
    shape->pq.dim = static_cast<size_t>(meta.dims);
    shape->pq.m = static_cast<size_t>(meta.pq_m);
    shape->pq.nbits = meta.pq_bits;
  }
  if (meta.trained_lists <= 0) return shape;
  const size_t dims = static_cast<size_t>(meta.dims), lists = static_cast<size_t>(meta.trained_lists);
  shape->centroids.resize(lists * dims);
  read_blob_cpp(index, meta.centroids, shape->centroids.data(), sizeof(float) * lists * dims, "centroid chain");
  set_probe_centroids(shape.get());
  shape->directory.resize(lists);
  read_blob_cpp(index, meta.directory, shape->directory.data(), sizeof(ListEntry) * lists, "list directory");
  if (shape->codec == Codec::kSq8) {
    std::vector<float> offsets(dims);
    read_blob_cpp(index, meta.codec_blob, offsets.data(), sizeof(float) * dims, "quantizer chain");
    shape->sq8 = Sq8Quantizer(std::move(offsets), meta.sq8_step);
  } else if (shape->codec == Codec::kPq) {
    shape->pq_codebooks.resize(shape->pq.codebook_floats());
    read_blob_cpp(index, meta.codec_blob, shape->pq_codebooks.data(), sizeof(float) * shape->pq_codebooks.size(),
                  "codebook chain");
    shape->pq_transposed = pq_transpose_codebooks(shape->pq, shape->pq_codebooks.data());
  }
  return shape;
}

}  // namespace

std::shared_ptr<const IndexShape> index_shape(Relation index, const MetaPage& meta) {
  const Oid oid = RelationGetRelid(index);
  std::list<CacheEntry>& entries = cache();
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    if (it->index == oid && it->build_id == meta.build_id) {
      entries.splice(entries.begin(), entries, it);
      return entries.front().shape;
    }
  }
  std::shared_ptr<const IndexShape> shape = load(index, meta);
  entries.push_front(CacheEntry{oid, meta.build_id, shape});
  if (entries.size() > kCacheEntries) entries.pop_back();
  return shape;
}

MetaPage read_meta_cpp(Relation index) {
  MetaPage meta{};
  call_postgres([&] { meta = read_meta(index); });
  return meta;
}

}  // namespace piramid::pg::ivf
