#include "pg/hnsw/node_codec.h"

#include <cstring>

namespace piramid::pg::hnsw {

bool code_fits_inline(const NodeLayout& layout, size_t code_length) {
  // Room for two upper levels: with m = 16 one node in 4,096 reaches level 3 (levels above the cap are
  // clamped, which costs nothing measurable).
  const size_t with_two_upper_levels = layout.tuple_size(code_length, 0) + 2 * layout.list_bytes(1);
  return with_two_upper_levels <= kMaxTupleSize;
}

int level_cap(const NodeLayout& layout, size_t inline_code_length) {
  const size_t base = layout.tuple_size(inline_code_length, 0);
  if (base >= kMaxTupleSize) return 0;
  const size_t levels = (kMaxTupleSize - base) / layout.list_bytes(1);
  return static_cast<int>(levels < 30 ? levels : 30);
}

size_t code_bytes_for(CodeKind kind, Metric metric, int dims) {
  switch (kind) {
    case CodeKind::kSq8: return static_cast<size_t>(dims) + (metric == Metric::kInnerProduct || metric == Metric::kCosine ? 4 : 0);
    case CodeKind::kFloat: return static_cast<size_t>(dims) * sizeof(float);
    case CodeKind::kBits: return static_cast<size_t>(dims + 7) / 8;
    case CodeKind::kSparse: return 64;  // a guess per row; sparse codes are as long as their values
  }
  return 0;
}

namespace {

void encode_code(const piramid::hnsw::Space& space, CodeKind code_kind, const PlainValue& value, EncodedNode* out) {
  switch (code_kind) {
    case CodeKind::kSparse:
      out->code.resize(piramid::hnsw::sparse_code_size(value.nnz));
      piramid::hnsw::write_sparse_code(value.nnz, value.indices, value.values, out->code.data());
      out->exact = true;
      return;
    case CodeKind::kBits:
      out->code.resize(space.code_size());
      out->exact = space.encode(value.bits, out->code.data());
      return;
    case CodeKind::kSq8:
    case CodeKind::kFloat:
      out->code.resize(space.code_size());
      out->exact = space.encode(value.dense, out->code.data());
      if (!out->exact) {
        // Re-ranking reads the value as indexed: float32 (normalized for cosine), or the halfvec's own
        // binary16 elements (normalized again at re-rank time).
        const size_t bytes = value.type == ValueType::kHalfvec && value.half != nullptr ? value.dims * sizeof(uint16)
                                                                                         : value.dims * sizeof(float);
        const void* src = value.type == ValueType::kHalfvec && value.half != nullptr ? static_cast<const void*>(value.half)
                                                                                       : static_cast<const void*>(value.dense);
        out->chain.resize(bytes);
        memcpy(out->chain.data(), src, bytes);
      }
      return;
  }
}

}  // namespace

void encode_node(const piramid::hnsw::Space& space, CodeKind code_kind, const NodeLayout& layout,
                 const PlainValue& value, EncodedNode* out) {
  out->chain.clear();
  out->code_in_chain = false;
  encode_code(space, code_kind, value, out);
  if (!code_fits_inline(layout, out->code.size())) {
    out->chain.insert(out->chain.begin(), out->code.begin(), out->code.end());
    out->code_in_chain = true;
  }
}

}  // namespace piramid::pg::hnsw
