#include "piramid/text_format.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace piramid {
namespace {

const char* skip_space(const char* p) {
  while (is_text_space(*p)) ++p;
  return p;
}

TextParse fail(TextError error, const char* text, const char* at, size_t length, const char* expected = "") {
  TextParse r;
  r.error = error;
  r.offset = static_cast<size_t>(at - text);
  r.length = length;
  r.expected = expected;
  return r;
}

// Length of the token starting at p, for messages: up to the next separator, but at least the one
// character found there (0 only at the end of the input).
bool is_separator(char c) { return c == ',' || c == ']' || c == '}' || c == ':' || c == '/' || is_text_space(c); }

size_t token_length(const char* p) {
  if (*p == '\0') return 0;
  if (is_separator(*p)) return 1;
  size_t n = 1;
  while (p[n] != '\0' && !is_separator(p[n])) ++n;
  return n;
}

// Reads one float at p (strtof grammar). On success advances *end past it; otherwise returns an error.
TextParse read_float(const char* text, const char* p, float* value, const char** end,
                     float out_of_range_at = HUGE_VALF, bool underflow_is_error = false) {
  errno = 0;
  char* stop = nullptr;
  *value = std::strtof(p, &stop);
  if (stop == p) return fail(TextError::kSyntax, text, p, token_length(p), "a number");
  const size_t length = static_cast<size_t>(stop - p);
  if (errno == ERANGE && (std::isinf(*value) || (underflow_is_error && *value == 0.0f)))
    return fail(TextError::kOutOfRange, text, p, length);
  if (std::isfinite(*value) && std::fabs(*value) >= out_of_range_at)
    return fail(TextError::kOutOfRange, text, p, length);
  if (std::isnan(*value)) return fail(TextError::kNaN, text, p, length);
  if (std::isinf(*value)) return fail(TextError::kInfinite, text, p, length);
  *end = stop;
  return TextParse{};
}

}  // namespace

TextParse parse_dense_text(const char* text, float* out, int max_elements, float out_of_range_at) {
  const char* p = skip_space(text);
  if (*p != '[') return fail(TextError::kSyntax, text, p, token_length(p), "\"[\"");
  p = skip_space(p + 1);
  if (*p == ']') return fail(TextError::kEmpty, text, p, 1);
  int count = 0;
  for (;;) {
    p = skip_space(p);
    if (*p == '\0') return fail(TextError::kSyntax, text, p, 0, "a number");
    if (count == max_elements) return fail(TextError::kTooManyElements, text, p, token_length(p));
    const char* end = nullptr;
    TextParse number = read_float(text, p, &out[count], &end, out_of_range_at);
    if (number.error != TextError::kNone) return number;
    ++count;
    p = skip_space(end);
    if (*p == ',') {
      ++p;
    } else if (*p == ']') {
      ++p;
      break;
    } else {
      return fail(TextError::kSyntax, text, p, *p ? 1 : 0, "\",\" or \"]\"");
    }
  }
  p = skip_space(p);
  if (*p != '\0') return fail(TextError::kJunkAfterEnd, text, p, token_length(p));
  TextParse r;
  r.count = count;
  return r;
}

TextParse parse_sparse_text(const char* text, int32_t* indices, float* values, int max_elements,
                            int64_t max_dimensions) {
  const char* p = skip_space(text);
  if (*p != '{') return fail(TextError::kSyntax, text, p, token_length(p), "\"{\"");
  p = skip_space(p + 1);
  int count = 0;
  long long previous_index = 0;
  // Indices are checked against the dimension count once it has been read, after the closing brace.
  const char* index_at[2] = {nullptr, nullptr};  // the largest index's text, for the message
  long long largest_index = 0;
  if (*p == '}') {
    ++p;
  } else {
    for (;;) {
      p = skip_space(p);
      errno = 0;
      char* stop = nullptr;
      const long long index = std::strtoll(p, &stop, 10);
      if (stop == p) return fail(TextError::kSyntax, text, p, token_length(p), "an index");
      const size_t index_length = static_cast<size_t>(stop - p);
      if (errno == ERANGE || index < 1 || index > max_dimensions)
        return fail(TextError::kIndexOutOfRange, text, p, index_length);
      if (index == previous_index) return fail(TextError::kIndexDuplicate, text, p, index_length);
      if (index < previous_index) return fail(TextError::kIndexNotAscending, text, p, index_length);
      if (index > largest_index) largest_index = index, index_at[0] = p, index_at[1] = stop;
      previous_index = index;
      p = skip_space(stop);
      if (*p != ':') return fail(TextError::kSyntax, text, p, *p ? 1 : 0, "\":\"");
      p = skip_space(p + 1);
      float value = 0;
      const char* end = nullptr;
      TextParse number = read_float(text, p, &value, &end, HUGE_VALF, true);
      if (number.error != TextError::kNone) return number;
      if (value != 0.0f) {
        if (count == max_elements) return fail(TextError::kTooManyElements, text, p, static_cast<size_t>(end - p));
        indices[count] = static_cast<int32_t>(index - 1);
        values[count] = value;
        ++count;
      }
      p = skip_space(end);
      if (*p == ',') {
        ++p;
      } else if (*p == '}') {
        ++p;
        break;
      } else {
        return fail(TextError::kSyntax, text, p, *p ? 1 : 0, "\",\" or \"}\"");
      }
    }
  }
  p = skip_space(p);
  if (*p != '/') return fail(TextError::kSyntax, text, p, *p ? 1 : 0, "\"/\" and the number of dimensions");
  p = skip_space(p + 1);
  errno = 0;
  char* stop = nullptr;
  const long long dimensions = std::strtoll(p, &stop, 10);
  if (stop == p) return fail(TextError::kSyntax, text, p, token_length(p), "the number of dimensions");
  if (dimensions < 1) return fail(TextError::kTooFewDimensions, text, p, static_cast<size_t>(stop - p));
  if (errno == ERANGE || dimensions > max_dimensions)
    return fail(TextError::kTooManyDimensions, text, p, static_cast<size_t>(stop - p));
  if (largest_index > dimensions)
    return fail(TextError::kIndexOutOfRange, text, index_at[0], static_cast<size_t>(index_at[1] - index_at[0]));
  p = skip_space(stop);
  if (*p != '\0') return fail(TextError::kJunkAfterEnd, text, p, token_length(p));
  TextParse r;
  r.count = count;
  r.dimensions = dimensions;
  return r;
}

}  // namespace piramid
