// Errors raised by the pure C++ core. The core never calls Postgres; it throws piramid::Error and the
// entry-point guard in src/pg/guard.h turns it into an SQL error with the matching SQLSTATE.
#pragma once

#include <stdexcept>
#include <string>

namespace piramid {

// What kind of failure, independent of Postgres; the glue maps each to an ERRCODE.
enum class ErrorKind {
  kInvalidParameter,     // a setting or argument outside its range
  kInvalidTextRepresentation,
  kDataException,        // a value that cannot be represented (NaN, mismatched dimensions, ...)
  kNumericOutOfRange,
  kProgramLimitExceeded,  // more dimensions or elements than supported
  kOutOfMemory,
  kIndexCorrupted,
  kFeatureNotSupported,
  kQueryCanceled,
  kInternal,
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message, std::string detail = {}, std::string hint = {})
      : std::runtime_error(message), kind_(kind), detail_(std::move(detail)), hint_(std::move(hint)) {}

  ErrorKind kind() const noexcept { return kind_; }
  const std::string& detail() const noexcept { return detail_; }
  const std::string& hint() const noexcept { return hint_; }

 private:
  ErrorKind kind_;
  std::string detail_;
  std::string hint_;
};

}  // namespace piramid
