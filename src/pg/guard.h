// The wall between C++ and Postgres (DESIGN.md section 3).
//
// Postgres reports errors with longjmp, which skips C++ destructors; C++ reports them with exceptions,
// which Postgres cannot catch. So:
//  - every symbol Postgres calls runs its body inside guard(): a C++ exception is caught, its message and
//    SQLSTATE are copied into plain data, the catch scope ends (destroying the exception and everything the
//    unwinding passed), and only then ereport(ERROR) raises it as an SQL error;
//  - C++ code that must call something which may ereport (reading a buffer during a core search) does so
//    through call_postgres(), which catches the Postgres error and rethrows it as PostgresError; guard()
//    later re-raises the original Postgres error, SQLSTATE and all.
// Glue code between those two points keeps frames of plain data only.
#pragma once

#include "pg/postgres_headers.h"

#include "piramid/interrupt.h"

#include <exception>

namespace piramid::pg {

// Plain data describing an error after every C++ frame that raised it is gone.
struct ErrorReport {
  int sqlstate;
  bool interrupted;           // the core stopped because an interrupt was pending
  ErrorData* postgres_error;  // set when a Postgres error crossed C++ frames as PostgresError
  char message[1024];
  char detail[1024];
  char hint[512];
};

// A Postgres error carried through C++ frames; made only by call_postgres().
class PostgresError : public std::exception {
 public:
  explicit PostgresError(ErrorData* data) noexcept : data_(data) {}
  const char* what() const noexcept override;
  ErrorData* data() const noexcept { return data_; }

 private:
  ErrorData* data_;
};

// Fills the report from the exception being handled; call only inside a catch block.
void capture_current_exception(ErrorReport* report) noexcept;

// Raises the report as a Postgres ERROR. Never returns.
pg_attribute_noreturn() void raise_error_report(const ErrorReport* report);

template <class Body>
auto guard(Body&& body) -> decltype(body()) {
  ErrorReport report;
  try {
    return body();
  } catch (...) {
    capture_current_exception(&report);
  }
  raise_error_report(&report);
}

// A poll for the core's long loops: true while Postgres has an interrupt pending (cancel, terminate).
// Safe to call from worker threads: it only reads a flag.
InterruptCheck postgres_interrupt_check();

// Runs fn(arg) and returns nullptr, or the Postgres error it raised (the error state is flushed).
ErrorData* try_postgres(void (*fn)(void*), void* arg);

// Runs a callable that may raise a Postgres error from C++ code; the error becomes PostgresError.
// The callable must own nothing with a destructor and must not throw: a C++ exception leaving a PG_TRY
// block would leave Postgres' error stack pointing at a dead frame.
template <class Fn>
void call_postgres(Fn&& fn) {
  ErrorData* error = try_postgres([](void* p) { (*static_cast<Fn*>(p))(); }, &fn);
  if (error != nullptr) throw PostgresError(error);
}

}  // namespace piramid::pg

// Defines the SQL-callable C function pmd_<name> (the name used in the install script) whose body,
// written after the macro, runs inside guard(). fcinfo is in scope as usual.
#define PIRAMID_FUNCTION(name)                                                        \
  static Datum name##_body(FunctionCallInfo fcinfo);                                  \
  extern "C" {                                                                        \
  PG_FUNCTION_INFO_V1(pmd_##name);                                                    \
  Datum pmd_##name(PG_FUNCTION_ARGS) {                                                \
    return ::piramid::pg::guard([fcinfo]() -> Datum { return name##_body(fcinfo); }); \
  }                                                                                   \
  }                                                                                   \
  static Datum name##_body(FunctionCallInfo fcinfo)
