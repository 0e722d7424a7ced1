// Checks shared by every function on vector, halfvec and sparsevec. Each raises an SQL error that says
// what was wrong, with which value, and what to do. Plain C-style functions: they call ereport.
#pragma once

#include "pg/postgres_headers.h"
#include "piramid/text_format.h"

namespace piramid::pg {

// Raises the error a failed text parse describes. type_name is "vector", "halfvec" or "sparsevec".
pg_attribute_noreturn() void report_text_error(const char* type_name, const char* input, const TextParse& parse);

// Dimensions of a dense value must lie in 1..max_dim.
void check_dimension_count(const char* type_name, long dim, long max_dim);

// Both operands of a binary function must have the same number of dimensions.
void check_same_dimensions(const char* type_name, int left, int right);

// A value with dim dimensions stored into a column or cast declared with typmod (-1: unconstrained).
void check_typmod(int32 typmod, int dim);

// Elements must be finite numbers.
void check_finite_element(const char* type_name, float value);

// The typmod_in function of each type: one integer in 1..max_dim.
int32 parse_typmod(const char* type_name, ArrayType* modifiers, long max_dim);

pg_attribute_noreturn() void report_overflow(const char* operation);
pg_attribute_noreturn() void report_underflow(const char* operation);

// "value" does not fit a half: |value| >= 65520 rounds to infinity.
pg_attribute_noreturn() void report_halfvec_out_of_range(float value);

}  // namespace piramid::pg
