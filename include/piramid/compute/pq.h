// Product quantization: a vector of `dim` floats is cut into m subvectors of dim / m floats, and each is
// replaced by the number of its nearest centroid in that subspace's codebook of 2^nbits centroids
// (nbits 4..8). Searching compares a query with codes through a lookup table (asymmetric distance
// computation, ADC): one table row per subspace holds the query's distance to every centroid, and the
// distance to a code is the sum of m table entries.
//
// Codebooks are m x 2^nbits x (dim / m) floats, subspace-major; codes are packed as pq_codes.h says. The
// functions take plain pointers so codebooks and codes can live in index pages.
#pragma once

#include "piramid/compute/context.h"
#include "piramid/compute/pq_codes.h"
#include "piramid/metric.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace piramid {

struct PqShape {
  size_t dim = 0;
  size_t m = 0;  // subvectors; must divide dim
  int nbits = 8;

  size_t ksub() const { return size_t{1} << nbits; }
  size_t dsub() const { return m == 0 ? 0 : dim / m; }
  size_t code_size() const { return pq_code_size(m, nbits); }
  size_t codebook_floats() const { return m * ksub() * dsub(); }
  size_t table_floats() const { return m * ksub(); }
  // Throws Error(kInvalidParameter) naming the bad value and the valid range.
  void validate() const;
};

struct PqTrainOptions {
  int iterations = 25;
  uint64_t seed = 1;
  size_t init_rows_per_cluster = 16;  // see KMeansOptions
};

// Trains the codebooks: k-means (L2) in each subspace, seeded with derive_seed(seed, subspace). Needs at
// least 2^nbits rows. For inner product or cosine indexes train on the vectors as stored (cosine: unit
// length); PQ reconstructs vectors, so L2 codebooks serve every metric.
void pq_train(const PqShape& shape, const float* x, size_t n, const PqTrainOptions& options, float* codebooks,
              const ComputeContext& ctx = ComputeContext());

// codes gets n x code_size() bytes: each subvector's nearest centroid (lowest number on ties).
void pq_encode(const PqShape& shape, const float* codebooks, const float* x, size_t n, uint8_t* codes,
               const ComputeContext& ctx = ComputeContext());

// x gets n x dim floats: the centroids the codes name.
void pq_decode(const PqShape& shape, const float* codebooks, const uint8_t* codes, size_t n, float* x);

// The ADC table of one query (table_floats() floats, subspace-major). With it pq_adc gives:
//   kL2: the squared L2 distance from the query to the decoded vector;
//   kInnerProduct: the negative inner product with the decoded vector;
//   kCosine: 1 - (unit query . decoded vector), the cosine distance when the encoded vectors were unit.
void pq_lookup_table(const PqShape& shape, const float* codebooks, const float* query, Metric metric,
                     float* table);

// Codebooks laid out dimension-major within each subspace (m x dsub x ksub floats): the table of a query
// is then dsub multiply-adds over ksub contiguous floats per subspace, which SIMD does 8 entries at a
// time. Callers that build many tables from the same codebooks keep this copy (codebook_floats() floats).
std::vector<float> pq_transpose_codebooks(const PqShape& shape, const float* codebooks);

// pq_lookup_table from transposed codebooks; the same table.
void pq_lookup_table_transposed(const PqShape& shape, const float* transposed, const float* query, Metric metric,
                                float* table);

// The table distance to one code.
float pq_adc(const PqShape& shape, const float* table, const uint8_t* code);

// Table distances to n codes stored one after another (code_size() bytes each); out gets n floats.
void pq_adc_batch(const PqShape& shape, const float* table, const uint8_t* codes, size_t n, float* out);

// The same for n codes anywhere (for example the entries of an index page).
void pq_adc_gather(const PqShape& shape, const float* table, const uint8_t* const* codes, size_t n, float* out);

}  // namespace piramid
