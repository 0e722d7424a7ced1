// Turning one value into what a node stores: its code (inline or in a chunk chain), whether the code is
// exact, and the bytes kept for re-ranking. Shared by the build and by single-row inserts.
#pragma once

#include "pg/am/opclass.h"
#include "pg/hnsw/index_shape.h"

#include <vector>

namespace piramid::pg::hnsw {

struct EncodedNode {
  std::vector<uint8> code;
  bool exact = true;
  // Bytes of the chunk chain: the code when it does not fit the tuple, then the full-precision vector
  // when the code is not exact. Empty when the node needs no chain.
  std::vector<uint8> chain;
  bool code_in_chain = false;
};

// Encodes `value` with `space`; `code_kind` decides the representation, `layout` whether the code fits
// the node tuple.
void encode_node(const piramid::hnsw::Space& space, CodeKind code_kind, const NodeLayout& layout,
                 const PlainValue& value, EncodedNode* out);

// Whether a code of `code_length` bytes is stored inline in a node tuple of this layout (leaving room for
// the lists of a few upper levels), and the highest level a node may then have.
bool code_fits_inline(const NodeLayout& layout, size_t code_length);
int level_cap(const NodeLayout& layout, size_t inline_code_length);

// Code bytes a value yields before any node exists (for the build's memory budget).
size_t code_bytes_for(CodeKind kind, Metric metric, int dims);

}  // namespace piramid::pg::hnsw
