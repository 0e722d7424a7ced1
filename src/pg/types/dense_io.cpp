// Text and binary input/output, typmods and the typmod cast of vector and halfvec.
#include "pg/guard.h"
#include "pg/types/dense_kind.h"

extern "C" {
#include "common/shortest_dec.h"
#include "utils/array.h"
}

#include <algorithm>

namespace piramid::pg {
namespace {

template <class Kind>
Datum dense_in(FunctionCallInfo fcinfo) {
  const char* text = PG_GETARG_CSTRING(0);
  const int32 typmod = PG_GETARG_INT32(2);
  // No input has more elements than commas + 1, so this buffer is always large enough.
  const int capacity = std::min(count_commas(text), Kind::kMaxDim) + 1;
  float* parsed = static_cast<float*>(palloc(sizeof(float) * capacity));
  const TextParse parse = parse_dense_text(text, parsed, Kind::kMaxDim, Kind::kOutOfRangeAt);
  if (parse.error != TextError::kNone) report_text_error(Kind::kName, text, parse);
  check_typmod(typmod, parse.count);
  auto* result = new_dense_vector<typename Kind::Elem>(parse.count);
  typename Kind::Elem* values = result->values();
  for (int i = 0; i < parse.count; ++i) values[i] = Kind::from_float(parsed[i]);
  pfree(parsed);
  PG_RETURN_POINTER(result);
}

template <class Kind>
Datum dense_out(FunctionCallInfo fcinfo) {
  const auto* v = detoasted_arg<typename Kind::Value>(fcinfo, 0);
  char* out = static_cast<char*>(palloc(static_cast<size_t>(v->dim) * (FLOAT_SHORTEST_DECIMAL_LEN + 1) + 2));
  char* p = out;
  *p++ = '[';
  for (int i = 0; i < v->dim; ++i) {
    if (i > 0) *p++ = ',';
    p += float_to_shortest_decimal_bufn(Kind::to_float(v->values()[i]), p);
  }
  *p++ = ']';
  *p = '\0';
  PG_RETURN_CSTRING(out);
}

template <class Kind>
Datum dense_recv(FunctionCallInfo fcinfo) {
  StringInfo buf = reinterpret_cast<StringInfo>(PG_GETARG_POINTER(0));
  const int32 typmod = PG_GETARG_INT32(2);
  const int16 dim = static_cast<int16>(pq_getmsgint(buf, 2));
  const int16 unused = static_cast<int16>(pq_getmsgint(buf, 2));
  check_dimension_count(Kind::kName, dim, Kind::kMaxDim);
  check_typmod(typmod, dim);
  if (unused != 0)
    ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("expected unused to be 0, not %d", unused),
                    errdetail("The binary %s header has a non-zero reserved field.", Kind::kName)));
  auto* result = new_dense_vector<typename Kind::Elem>(dim);
  Kind::receive_elements(buf, result->values(), dim);
  if (!Kind::all_finite(result->values(), dim)) {
    for (int i = 0; i < dim; ++i) Kind::check_element(result->values()[i]);  // raises, naming NaN or infinity
  }
  PG_RETURN_POINTER(result);
}

template <class Kind>
Datum dense_send(FunctionCallInfo fcinfo) {
  const auto* v = detoasted_arg<typename Kind::Value>(fcinfo, 0);
  StringInfoData buf;
  pq_begintypsend(&buf);
  pq_sendint16(&buf, v->dim);
  pq_sendint16(&buf, v->unused);
  for (int i = 0; i < v->dim; ++i) Kind::send_element(&buf, v->values()[i]);
  PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

// The length-coercion cast vector(n) / halfvec(n): checks, never truncates.
template <class Kind>
Datum dense_typmod_cast(FunctionCallInfo fcinfo) {
  const auto* v = detoasted_arg<typename Kind::Value>(fcinfo, 0);
  check_typmod(PG_GETARG_INT32(1), v->dim);
  PG_RETURN_POINTER(v);
}

}  // namespace
}  // namespace piramid::pg

using piramid::pg::HalfvecKind;
using piramid::pg::VectorKind;

PIRAMID_FUNCTION(vector_in) { return piramid::pg::dense_in<VectorKind>(fcinfo); }
PIRAMID_FUNCTION(vector_out) { return piramid::pg::dense_out<VectorKind>(fcinfo); }
PIRAMID_FUNCTION(vector_recv) { return piramid::pg::dense_recv<VectorKind>(fcinfo); }
PIRAMID_FUNCTION(vector_send) { return piramid::pg::dense_send<VectorKind>(fcinfo); }
PIRAMID_FUNCTION(vector) { return piramid::pg::dense_typmod_cast<VectorKind>(fcinfo); }
PIRAMID_FUNCTION(vector_typmod_in) {
  PG_RETURN_INT32(piramid::pg::parse_typmod("vector", PG_GETARG_ARRAYTYPE_P(0), piramid::pg::kVectorMaxDim));
}

PIRAMID_FUNCTION(halfvec_in) { return piramid::pg::dense_in<HalfvecKind>(fcinfo); }
PIRAMID_FUNCTION(halfvec_out) { return piramid::pg::dense_out<HalfvecKind>(fcinfo); }
PIRAMID_FUNCTION(halfvec_recv) { return piramid::pg::dense_recv<HalfvecKind>(fcinfo); }
PIRAMID_FUNCTION(halfvec_send) { return piramid::pg::dense_send<HalfvecKind>(fcinfo); }
PIRAMID_FUNCTION(halfvec) { return piramid::pg::dense_typmod_cast<HalfvecKind>(fcinfo); }
PIRAMID_FUNCTION(halfvec_typmod_in) {
  PG_RETURN_INT32(piramid::pg::parse_typmod("halfvec", PG_GETARG_ARRAYTYPE_P(0), piramid::pg::kHalfvecMaxDim));
}
