// What every operation on an hnsw index needs to know about it and that never changes after the build:
// parameters from the meta page and the Space that measures distances on its codes (with the trained
// quantizer). Cached per backend by the meta page's build id, which every build sets anew, so a cached
// shape can never be applied to another build's pages.
#pragma once

#include "pg/am/opclass.h"
#include "pg/am/recent_buffers.h"
#include "pg/hnsw/pages.h"
#include "piramid/hnsw/nav.h"
#include "piramid/hnsw/space.h"

#include <memory>

namespace piramid::pg::hnsw {

struct IndexShape {
  int m;
  int ef_construction;
  int dims;
  ValueType value_type;
  Metric metric;
  CodeKind code_kind;
  uint32 code_size;  // 0 for variable-length codes
  NodeLayout layout;
  std::unique_ptr<piramid::hnsw::Space> space;
  std::unique_ptr<piramid::hnsw::NavQuantizer> nav;  // null when the index has no navigation codes
  // Buffers that last held the index's blocks in this backend (pg/am/recent_buffers.h).
  mutable RecentBuffers recent_buffers;
};

// The shape of the index whose meta page is `meta` (read by the caller), loading the quantizer chain the
// first time this build is seen. Shared: a cache eviction never frees a shape still in use.
std::shared_ptr<const IndexShape> index_shape(Relation index, const MetaPage& meta);

// Reads the meta page (share lock, released before returning).
MetaPage read_meta(Relation index);

// The Space for a code kind; the quantizer is used for kSq8 only.
std::unique_ptr<piramid::hnsw::Space> make_space(CodeKind kind, Metric metric, int dims, Sq8Quantizer quantizer);

// Floats of the navigation codebooks stored for an index of `dims` dimensions and `subspaces` subspaces.
size_t nav_codebook_floats(int dims, int subspaces);
// ... and the floats of the rotation stored after them in the same chain.
size_t nav_rotation_floats(int dims, int subspaces, int rotation_block);

// Bytes of the full-precision copy kept for re-ranking (vector: float32, halfvec: binary16).
size_t full_vector_bytes(ValueType type, int dims);

}  // namespace piramid::pg::hnsw
