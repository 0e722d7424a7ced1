// Text and binary input/output, typmod and the typmod cast of sparsevec.
#include "pg/guard.h"
#include "pg/types/type_checks.h"
#include "pg/types/vector_types.h"

extern "C" {
#include "common/shortest_dec.h"
}

#include <algorithm>
#include <cmath>

namespace piramid::pg {
namespace {

constexpr const char* kName = "sparsevec";

void check_element_count(int nnz, int dim) {
  if (nnz < 0)
    ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("sparsevec cannot have negative number of elements")));
  if (nnz > kSparsevecMaxNnz)
    ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                    errmsg("sparsevec cannot have more than %d non-zero elements", kSparsevecMaxNnz)));
  if (nnz > dim)
    ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                    errmsg("sparsevec cannot have more elements than dimensions"),
                    errdetail("It has %d elements and %d dimensions.", nnz, dim)));
}

}  // namespace
}  // namespace piramid::pg

using namespace piramid::pg;

PIRAMID_FUNCTION(sparsevec_in) {
  const char* text = PG_GETARG_CSTRING(0);
  const int32 typmod = PG_GETARG_INT32(2);
  const int capacity = std::min(piramid::count_commas(text), kSparsevecMaxNnz) + 1;
  int32* indices = static_cast<int32*>(palloc(sizeof(int32) * capacity));
  float* values = static_cast<float*>(palloc(sizeof(float) * capacity));
  const piramid::TextParse parse =
      piramid::parse_sparse_text(text, indices, values, kSparsevecMaxNnz, kSparsevecMaxDim);
  if (parse.error != piramid::TextError::kNone) report_text_error(kName, text, parse);
  check_typmod(typmod, static_cast<int>(parse.dimensions));
  SparseVector* result = new_sparse_vector(static_cast<int>(parse.dimensions), parse.count);
  memcpy(result->indices(), indices, sizeof(int32) * parse.count);
  memcpy(result->values(), values, sizeof(float) * parse.count);
  PG_RETURN_POINTER(result);
}

PIRAMID_FUNCTION(sparsevec_out) {
  const auto* v = detoasted_arg<SparseVector>(fcinfo, 0);
  // "{" + per element up to 10 digits, ":", a float and "," + "}/" + 10 digits
  char* out = static_cast<char*>(palloc(static_cast<size_t>(v->nnz) * (FLOAT_SHORTEST_DECIMAL_LEN + 12) + 16));
  char* p = out;
  *p++ = '{';
  for (int i = 0; i < v->nnz; ++i) {
    if (i > 0) *p++ = ',';
    p += pg_ltoa(v->indices()[i] + 1, p);
    *p++ = ':';
    p += float_to_shortest_decimal_bufn(v->values()[i], p);
  }
  *p++ = '}';
  *p++ = '/';
  p += pg_ltoa(v->dim, p);
  *p = '\0';
  PG_RETURN_CSTRING(out);
}

PIRAMID_FUNCTION(sparsevec_recv) {
  StringInfo buf = reinterpret_cast<StringInfo>(PG_GETARG_POINTER(0));
  const int32 typmod = PG_GETARG_INT32(2);
  const int32 dim = static_cast<int32>(pq_getmsgint(buf, 4));
  const int32 nnz = static_cast<int32>(pq_getmsgint(buf, 4));
  const int32 unused = static_cast<int32>(pq_getmsgint(buf, 4));
  check_dimension_count(kName, dim, kSparsevecMaxDim);
  check_element_count(nnz, dim);
  check_typmod(typmod, dim);
  if (unused != 0)
    ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("expected unused to be 0, not %d", unused),
                    errdetail("The binary sparsevec header has a non-zero reserved field.")));
  SparseVector* result = new_sparse_vector(dim, nnz);
  int32* indices = result->indices();
  for (int i = 0; i < nnz; ++i) {
    indices[i] = static_cast<int32>(pq_getmsgint(buf, 4));
    if (indices[i] < 0 || indices[i] >= dim)
      ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("sparsevec index out of bounds"),
                      errdetail("0-based index %d is outside 0 .. %d.", indices[i], dim - 1)));
    if (i > 0 && indices[i] == indices[i - 1])
      ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("sparsevec indices must not contain duplicates")));
    if (i > 0 && indices[i] < indices[i - 1])
      ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("sparsevec indices must be in ascending order")));
  }
  float* values = result->values();
  for (int i = 0; i < nnz; ++i) {
    values[i] = pq_getmsgfloat4(buf);
    check_finite_element(kName, values[i]);
    if (values[i] == 0.0f)
      ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
                      errmsg("binary representation of sparsevec cannot contain zero values")));
  }
  PG_RETURN_POINTER(result);
}

PIRAMID_FUNCTION(sparsevec_send) {
  const auto* v = detoasted_arg<SparseVector>(fcinfo, 0);
  StringInfoData buf;
  pq_begintypsend(&buf);
  pq_sendint32(&buf, v->dim);
  pq_sendint32(&buf, v->nnz);
  pq_sendint32(&buf, v->unused);
  for (int i = 0; i < v->nnz; ++i) pq_sendint32(&buf, v->indices()[i]);
  for (int i = 0; i < v->nnz; ++i) pq_sendfloat4(&buf, v->values()[i]);
  PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PIRAMID_FUNCTION(sparsevec) {
  const auto* v = detoasted_arg<SparseVector>(fcinfo, 0);
  check_typmod(PG_GETARG_INT32(1), v->dim);
  PG_RETURN_POINTER(v);
}

PIRAMID_FUNCTION(sparsevec_typmod_in) {
  PG_RETURN_INT32(parse_typmod(kName, PG_GETARG_ARRAYTYPE_P(0), kSparsevecMaxDim));
}
