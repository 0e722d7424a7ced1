#include "pg/hnsw/index_shape.h"

#include "pg/guard.h"
#include "pg/hnsw/page_ops.h"

extern "C" {
#include "storage/bufmgr.h"
#include "utils/memutils.h"
}

#include <vector>

namespace piramid::pg::hnsw {

std::unique_ptr<piramid::hnsw::Space> make_space(CodeKind kind, Metric metric, int dims, Sq8Quantizer quantizer) {
  switch (kind) {
    case CodeKind::kSq8: return piramid::hnsw::make_sq8_space(metric, std::move(quantizer));
    case CodeKind::kFloat: return piramid::hnsw::make_float_space(metric, static_cast<size_t>(dims));
    case CodeKind::kBits: return piramid::hnsw::make_bit_space(metric, static_cast<size_t>(dims + 7) / 8);
    case CodeKind::kSparse: return piramid::hnsw::make_sparse_space(metric);
  }
  throw Error(ErrorKind::kIndexCorrupted, "unknown hnsw code kind");
}

size_t full_vector_bytes(ValueType type, int dims) {
  return static_cast<size_t>(dims) * (type == ValueType::kHalfvec ? sizeof(uint16_t) : sizeof(float));
}

size_t nav_codebook_floats(int dims, int subspaces) {
  const size_t m = static_cast<size_t>(subspaces);
  return m == 0 ? 0 : m * 16 * ((static_cast<size_t>(dims) + m - 1) / m);
}

size_t nav_rotation_floats(int dims, int subspaces, int rotation_block) {
  const size_t m = static_cast<size_t>(subspaces);
  if (m == 0) return 0;
  return piramid::hnsw::nav_rotation_floats(m * ((static_cast<size_t>(dims) + m - 1) / m),
                                            static_cast<size_t>(rotation_block));
}

namespace {

void read_meta_into(Relation index, MetaPage* meta) {
  Buffer buffer = lock_meta(index, BUFFER_LOCK_SHARE);
  *meta = *meta_of(BufferGetPage(buffer));
  UnlockReleaseBuffer(buffer);
}

void read_offsets(Relation index, const MetaPage* meta, float* offsets) {
  const size_t bytes = sizeof(float) * static_cast<size_t>(meta->dims);
  if (read_chain(index, meta->quantizer, offsets, bytes) != bytes)
    ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),
                    errmsg("hnsw index \"%s\" has a truncated quantizer", RelationGetRelationName(index)),
                    errhint("REINDEX the index.")));
}

void read_nav_codebooks(Relation index, const MetaPage* meta, float* codebooks) {
  const size_t bytes = sizeof(float) * (nav_codebook_floats(meta->dims, meta->nav_subspaces) +
                                        nav_rotation_floats(meta->dims, meta->nav_subspaces, meta->nav_rotation_block));
  if (read_chain(index, meta->nav_codebooks, codebooks, bytes) != bytes)
    ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),
                    errmsg("hnsw index \"%s\" has truncated navigation codebooks", RelationGetRelationName(index)),
                    errhint("REINDEX the index.")));
}

// Shapes by build id. Small: a backend rarely uses many hnsw indexes; the oldest is dropped past the limit.
std::vector<std::shared_ptr<const IndexShape>>& shape_cache() {
  static std::vector<std::shared_ptr<const IndexShape>> cache;
  return cache;
}
std::vector<uint64>& shape_cache_ids() {
  static std::vector<uint64> ids;
  return ids;
}
constexpr size_t kShapeCacheSize = 32;

}  // namespace

MetaPage read_meta(Relation index) {
  MetaPage meta;
  call_postgres([&] { read_meta_into(index, &meta); });
  return meta;
}

std::shared_ptr<const IndexShape> index_shape(Relation index, const MetaPage& meta) {
  auto& cache = shape_cache();
  auto& ids = shape_cache_ids();
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == meta.build_id) return cache[i];
  }
  Sq8Quantizer quantizer;
  if (static_cast<CodeKind>(meta.code_kind) == CodeKind::kSq8) {
    std::vector<float> offsets(static_cast<size_t>(meta.dims));
    call_postgres([&] { read_offsets(index, &meta, offsets.data()); });
    quantizer = Sq8Quantizer(std::move(offsets), meta.sq8_step);
  }
  auto shape = std::make_shared<IndexShape>();
  shape->m = meta.m;
  shape->ef_construction = meta.ef_construction;
  shape->dims = meta.dims;
  shape->value_type = static_cast<ValueType>(meta.value_type);
  shape->metric = static_cast<Metric>(meta.metric);
  shape->code_kind = static_cast<CodeKind>(meta.code_kind);
  shape->code_size = meta.code_size;
  shape->layout = NodeLayout{meta.m, meta.nav_subspaces};
  shape->space = make_space(shape->code_kind, shape->metric, meta.dims, std::move(quantizer));
  if (meta.nav_subspaces > 0) {
    const size_t codebook_floats = nav_codebook_floats(meta.dims, meta.nav_subspaces);
    std::vector<float> codebooks(codebook_floats +
                                 nav_rotation_floats(meta.dims, meta.nav_subspaces, meta.nav_rotation_block));
    float* dst = codebooks.data();
    call_postgres([&] { read_nav_codebooks(index, &meta, dst); });
    std::vector<float> matrices(codebooks.begin() + static_cast<std::ptrdiff_t>(codebook_floats), codebooks.end());
    codebooks.resize(codebook_floats);
    const size_t padded = codebook_floats / 16;
    piramid::hnsw::NavRotation rotation(padded, meta.nav_rotation_block, std::move(matrices));
    shape->nav = std::make_unique<piramid::hnsw::NavQuantizer>(static_cast<size_t>(meta.dims), meta.nav_subspaces,
                                                                std::move(codebooks), std::move(rotation));
  }
  if (ids.size() >= kShapeCacheSize) {
    ids.erase(ids.begin());
    cache.erase(cache.begin());
  }
  ids.push_back(meta.build_id);
  cache.push_back(std::move(shape));
  return cache.back();
}

}  // namespace piramid::pg::hnsw
