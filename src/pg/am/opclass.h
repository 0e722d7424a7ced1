// Operator classes of piramid's index access methods describe themselves through one support function
// (FUNCTION 1, `(internal) RETURNS internal`) that returns an OpclassInfo: the value type, the distance
// it orders by and, for IVF, how vectors are coded. The AMs never switch over type OIDs.
#pragma once

#include "pg/postgres_headers.h"
#include "piramid/metric.h"

extern "C" {
#include "utils/rel.h"
}

#include <cstdint>

namespace piramid::pg {

enum class ValueType : uint8_t { kVector = 1, kHalfvec = 2, kSparsevec = 3, kBit = 4 };
enum class Codec : uint8_t { kFlat = 0, kSq8 = 1, kPq = 2 };

struct OpclassInfo {
  ValueType type;
  Metric metric;
  Codec codec;
};

const char* value_type_name(ValueType type);

// The OpclassInfo of the index's first column (support function 1 of its operator class).
const OpclassInfo& index_opclass_info(Relation index);

// A plain view of one indexed value. Dense values (vector, halfvec) are converted to float32; bits are
// raw bytes; sparse values keep their indices and values. Memory is palloc'd in the current context.
struct PlainValue {
  ValueType type;
  int32_t dims;        // dimensions (bits for bit strings)
  const float* dense;  // vector and halfvec, dims floats (normalized when the metric is cosine)
  const uint16_t* half;  // halfvec: the original binary16 elements
  const uint8_t* bits;   // bit: (dims + 7) / 8 bytes
  int32_t nnz;           // sparsevec
  const int32_t* indices;
  const float* values;   // sparsevec values (normalized when the metric is cosine)
};

// Extracts a value for indexing or as a query. Returns false when the value cannot be indexed under the
// metric: a zero vector under cosine distance has no direction (pgvector skips those too).
bool extract_value(const OpclassInfo& info, Datum datum, PlainValue* out);

// Dimensions declared by the column's typmod, or -1.
int32_t column_dimensions(Relation index);

}  // namespace piramid::pg
