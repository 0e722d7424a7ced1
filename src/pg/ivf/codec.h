// How an ivf index turns values into list entries and measures distances to them. An IndexShape holds
// what never changes between trainings (parameters, centroids, the SQ8 quantizer or PQ codebooks) and is
// cached per backend by the meta page's build id. A QueryDistance prepares one query against a shape.
//
// Distance keys (smaller is closer): squared L2, negative inner product, cosine distance, Hamming count.
// key_to_distance() turns a key into what the SQL operator returns.
#pragma once

#include "pg/am/opclass.h"
#include "pg/am/recent_buffers.h"
#include "pg/ivf/pages.h"
#include "piramid/compute/pq.h"
#include "piramid/compute/pq4.h"
#include "piramid/sq8.h"

#include <memory>
#include <vector>

namespace piramid::pg::ivf {

struct IndexShape {
  int32 dims = 0;
  ValueType type = ValueType::kVector;
  Metric metric = Metric::kL2;
  Codec codec = Codec::kFlat;
  size_t code_size = 0;  // list entry payload
  size_t flat_size = 0;  // untrained buffer payload (the value as stored, see write_flat)
  int32 lists = 0;       // trained lists (0: untrained)
  uint64 build_id = 0;
  std::vector<float> centroids;  // lists x dims
  // The centroids times probe_scale in binary16, for ordering lists by a query (half the memory to
  // stream per query; the order matches float32 up to ties within ~0.1%). Empty when they do not fit.
  std::vector<uint16> probe_centroids;
  std::vector<float> probe_norms;  // |c|^2 of each binary16 centroid (in the scaled space)
  float probe_scale = 1;
  std::vector<ListEntry> directory;
  Sq8Quantizer sq8;
  PqShape pq;
  std::vector<float> pq_codebooks;
  BlockShape blocks;  // the lists' block layout (blocks.m == 0: one item per entry)
  std::vector<float> pq_transposed;  // pq_codebooks as pq_transpose_codebooks lays them out (query tables)
  // Buffers that last held the index's blocks in this backend (pg/am/recent_buffers.h): scans pin
  // list pages through them.
  mutable RecentBuffers recent_buffers;
};

// Bytes of the flat payload: float32 for vector (unit length for cosine), binary16 for halfvec, the bits.
size_t flat_size(ValueType type, int32 dims);
// Bytes of a list entry payload for a codec. L2 PQ entries carry, after the code, one float:
// |r|^2 + 2 c.r for the decoded residual r and the list's centroid c, so a query's key is
// |q - c|^2 + that - 2 q.r with one lookup table per query instead of one per probed list.
size_t code_size(ValueType type, Codec codec, Metric metric, int32 dims, int32 pq_m, int32 pq_bits);
// Writes the L2 PQ term of `code` in list `list` after the code (see code_size).
void write_pq_term(const IndexShape& shape, int32 list, uint8* entry);

// The value as k-means sees it: dims floats (bits as 0/1, cosine on unit length).
void float_view(const PlainValue& value, float* out);
// The same for a stored flat payload.
void flat_to_floats(ValueType type, Metric metric, int32 dims, const uint8* flat, float* out);
void write_flat(const PlainValue& value, uint8* out);
// The list entry payload of a value (its float view in `floats`) in list `list`. PQ codes encode the
// residual: the value minus its list's centroid.
void encode_entry(const IndexShape& shape, const PlainValue& value, const float* floats, int32 list, uint8* out);

// The k-means metric for an opclass metric (spherical for inner product and cosine).
Metric kmeans_metric(Metric metric);

double key_to_distance(Metric metric, float key);

class QueryDistance {
 public:
  QueryDistance(const IndexShape& shape, const PlainValue& query);
  // Exact key to a flat payload.
  float exact(const uint8* flat) const;
  // Prepares approximate() for the entries of list `list` (PQ codes are residuals of its centroid).
  void set_list(int32 list);
  // Key to a list entry payload: exact for flat opclasses, an estimate for SQ8 and PQ (PQ: trained
  // indexes only; untrained ones have no lists).
  float approximate(const uint8* code) const;
  // approximate() of n payloads at once (PQ gathers table entries of several codes per step; 4-bit PQ
  // codes use the fast scan, whose uint8 table makes the estimates a little coarser).
  void approximate_many(const uint8* const* codes, size_t n, float* out) const;
  // Keys of the first `used` slots of a block (pages.h): `codes` in the block layout, `terms` its L2
  // terms (null for other metrics). `out` has room for all kBlockSlots (the rest is written too, with
  // meaningless keys). Only for indexes whose lists hold blocks.
  void block_keys(const uint8* codes, const float* terms, size_t used, float* out) const;
  bool codes_are_exact() const { return shape_.codec == Codec::kFlat; }
  // Keys to the first n centroids (probing order).
  void centroid_keys(float* out) const;
  const std::vector<float>& floats() const { return floats_; }

 private:
  const IndexShape& shape_;
  std::vector<float> floats_;     // float view of the query
  std::vector<uint16> half_;      // halfvec query
  std::vector<uint8> bits_;       // bit query
  std::vector<uint8> sq8_code_;   // SQ8, L2: the query's code
  std::vector<int16> sq8_weights_;  // SQ8, inner product: quantized query weights
  float sq8_scale_ = 1, sq8_offset_dot_ = 0;
  std::vector<float> pq_table_;
  bool pq4_fast_ = false;  // 4-bit codes: approximate_many scans with the quantized table pq4_
  Pq4Table pq4_;
  float pq_bias_ = 0;  // the current list's part of the key (see set_list)
};

}  // namespace piramid::pg::ivf
