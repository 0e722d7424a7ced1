// Parsing of the pgvector text forms: dense "[1, 2.5, -3e2]" and sparse "{1:1.5, 3:2}/5" (1-based
// indices). Numbers follow strtof, as pgvector does, so every input pgvector accepts we accept too.
// The parser reports what went wrong and where; the glue turns that into an SQL error.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace piramid {

enum class TextError {
  kNone,
  kSyntax,             // something other than what `expected` says was found at `offset`
  kJunkAfterEnd,       // text after the closing bracket (or after the sparse dimension count)
  kEmpty,              // "[]": a dense vector needs at least one element
  kTooManyElements,    // more elements than max_elements
  kOutOfRange,         // a number too large for a float
  kNaN,
  kInfinite,
  kTooFewDimensions,      // sparse "/dim" below 1
  kTooManyDimensions,     // sparse "/dim" above max_dimensions
  kIndexOutOfRange,       // sparse index outside 1..dim
  kIndexNotAscending,     // sparse indices must be given in increasing order
  kIndexDuplicate,        // the same sparse index twice
};

struct TextParse {
  TextError error = TextError::kNone;
  size_t offset = 0;             // byte offset of the offending token in the input
  size_t length = 0;             // its length (0 at end of input)
  const char* expected = "";     // for kSyntax: what the grammar wanted there
  int count = 0;                 // dense: dimensions; sparse: stored non-zero elements
  int64_t dimensions = 0;        // sparse: the "/dim" value
};

// Dense form. Writes at most max_elements floats to out; out must have room for one more float than the
// input has commas (count_commas), which bounds the number of elements any input can yield. Numbers whose magnitude is at least
// out_of_range_at are reported as kOutOfRange (halfvec passes the smallest value that rounds to infinity).
TextParse parse_dense_text(const char* text, float* out, int max_elements, float out_of_range_at = HUGE_VALF);

// Sparse form. Writes 0-based indices and their values; elements whose value is zero are dropped, as
// they carry no information in a sparse vector. At most max_elements are stored. A value that underflows
// to zero is an error here (it would silently vanish), as in pgvector.
TextParse parse_sparse_text(const char* text, int32_t* indices, float* values, int max_elements,
                            int64_t max_dimensions);

inline int count_commas(const char* text) {
  int n = 0;
  for (; *text; ++text) n += *text == ',';
  return n;
}

// The whitespace pgvector skips between tokens: space, tab, newline, carriage return, vertical tab, form feed.
inline bool is_text_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

}  // namespace piramid
