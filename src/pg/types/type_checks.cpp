#include "pg/types/type_checks.h"

#include <cmath>

extern "C" {
#include "common/shortest_dec.h"
#include "utils/array.h"
}

namespace piramid::pg {
namespace {

const char* format_hint(const char* type_name) {
  if (strcmp(type_name, "sparsevec") == 0)
    return "Write a sparsevec as {index:value,...}/dimensions with 1-based indices in increasing order, "
           "for example {1:1.5,3:2}/5.";
  return strcmp(type_name, "vector") == 0 ? "Write a vector as [1,2,3]." : "Write a halfvec as [1,2,3].";
}

const char* range_detail(const char* type_name) {
  if (strcmp(type_name, "halfvec") == 0) return "halfvec elements must lie between -65504 and 65504.";
  if (strcmp(type_name, "sparsevec") == 0)
    return "sparsevec elements must be zero or have a magnitude between 1.4e-45 and 3.4028235e+38.";
  return "vector elements must lie between -3.4028235e+38 and 3.4028235e+38.";
}

}  // namespace

void report_text_error(const char* type_name, const char* input, const TextParse& parse) {
  const int at = static_cast<int>(parse.offset) + 1;  // 1-based character position for people
  const int length = static_cast<int>(parse.length);
  const char* token = input + parse.offset;
  switch (parse.error) {
    case TextError::kSyntax:
      if (length == 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
                        errmsg("invalid input syntax for type %s: \"%s\"", type_name, input),
                        errdetail("Expected %s at character %d, but the input ended.", parse.expected, at),
                        errhint("%s", format_hint(type_name))));
      ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
                      errmsg("invalid input syntax for type %s: \"%s\"", type_name, input),
                      errdetail("Expected %s at character %d, found \"%.*s\".", parse.expected, at, length, token),
                      errhint("%s", format_hint(type_name))));
      break;
    case TextError::kJunkAfterEnd:
      ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
                      errmsg("invalid input syntax for type %s: \"%s\"", type_name, input),
                      errdetail("Unexpected \"%.*s\" at character %d after the end of the %s.", length, token, at,
                                type_name),
                      errhint("%s", format_hint(type_name))));
      break;
    case TextError::kEmpty:
      ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("%s must have at least 1 dimension", type_name),
                      errhint("%s", format_hint(type_name))));
      break;
    case TextError::kTooManyElements:
      if (strcmp(type_name, "sparsevec") == 0)
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("sparsevec cannot have more than %d non-zero elements", 16000)));
      ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                      errmsg("%s cannot have more than %d dimensions", type_name, 16000)));
      break;
    case TextError::kOutOfRange:
      ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
                      errmsg("\"%.*s\" is out of range for type %s", length, token, type_name),
                      errdetail("%s", range_detail(type_name))));
      break;
    case TextError::kNaN:
      ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("NaN not allowed in %s", type_name),
                      errdetail("The element at character %d is \"%.*s\".", at, length, token)));
      break;
    case TextError::kInfinite:
      ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("infinite value not allowed in %s", type_name),
                      errdetail("The element at character %d is \"%.*s\".", at, length, token)));
      break;
    case TextError::kTooFewDimensions:
      ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("%s must have at least 1 dimension", type_name),
                      errdetail("The dimension count is \"%.*s\".", length, token)));
      break;
    case TextError::kTooManyDimensions:
      ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                      errmsg("%s cannot have more than %d dimensions", type_name, 1000000000),
                      errdetail("The dimension count is \"%.*s\".", length, token)));
      break;
    case TextError::kIndexOutOfRange:
      ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("sparsevec index out of bounds"),
                      errdetail("Index \"%.*s\" at character %d is outside 1 .. the number of dimensions.", length,
                                token, at),
                      errhint("Indices are 1-based.")));
      break;
    case TextError::kIndexNotAscending:
      ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("sparsevec indices must be in ascending order"),
                      errdetail("Index \"%.*s\" at character %d follows a larger index.", length, token, at),
                      errhint("List the elements sorted by index.")));
      break;
    case TextError::kIndexDuplicate:
      ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("sparsevec indices must not contain duplicates"),
                      errdetail("Index \"%.*s\" at character %d appears twice.", length, token, at)));
      break;
    case TextError::kNone:
      break;
  }
  elog(ERROR, "unexpected text parse result %d", static_cast<int>(parse.error));
}

void check_dimension_count(const char* type_name, long dim, long max_dim) {
  if (dim < 1)
    ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("%s must have at least 1 dimension", type_name)));
  if (dim > max_dim)
    ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                    errmsg("%s cannot have more than %ld dimensions", type_name, max_dim),
                    errdetail("The value has %ld dimensions.", dim)));
}

void check_same_dimensions(const char* type_name, int left, int right) {
  if (left != right)
    ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
                    errmsg("different %s dimensions %d and %d", type_name, left, right),
                    errhint("Both operands must have the same number of dimensions.")));
}

void check_typmod(int32 typmod, int dim) {
  if (typmod != -1 && typmod != dim)
    ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("expected %d dimensions, not %d", typmod, dim)));
}

void check_finite_element(const char* type_name, float value) {
  if (std::isnan(value))
    ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("NaN not allowed in %s", type_name)));
  if (std::isinf(value))
    ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("infinite value not allowed in %s", type_name)));
}

int32 parse_typmod(const char* type_name, ArrayType* modifiers, long max_dim) {
  int count = 0;
  int32* values = ArrayGetIntegerTypmods(modifiers, &count);
  if (count != 1)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("invalid type modifier"),
                    errdetail("%s takes one modifier, the number of dimensions, not %d.", type_name, count)));
  if (values[0] < 1)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("dimensions for type %s must be at least 1", type_name)));
  if (values[0] > max_dim)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("dimensions for type %s cannot exceed %ld", type_name, max_dim)));
  return values[0];
}

void report_overflow(const char* operation) {
  ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE), errmsg("value out of range: overflow"),
                  errdetail("The result of %s does not fit the element type.", operation)));
  pg_unreachable();
}

void report_underflow(const char* operation) {
  ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE), errmsg("value out of range: underflow"),
                  errdetail("The result of %s is too small for the element type.", operation)));
  pg_unreachable();
}

void report_halfvec_out_of_range(float value) {
  char text[FLOAT_SHORTEST_DECIMAL_LEN];
  float_to_shortest_decimal_buf(value, text);
  ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
                  errmsg("\"%s\" is out of range for type halfvec", text),
                  errdetail("halfvec elements must lie between -65504 and 65504.")));
  pg_unreachable();
}

}  // namespace piramid::pg
