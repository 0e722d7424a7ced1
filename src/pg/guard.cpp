#include "pg/guard.h"

#include "piramid/error.h"

extern "C" {
#include "miscadmin.h"
}

#include <cstdio>
#include <new>

namespace piramid::pg {
namespace {

int sqlstate_of(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidParameter: return ERRCODE_INVALID_PARAMETER_VALUE;
    case ErrorKind::kInvalidTextRepresentation: return ERRCODE_INVALID_TEXT_REPRESENTATION;
    case ErrorKind::kDataException: return ERRCODE_DATA_EXCEPTION;
    case ErrorKind::kNumericOutOfRange: return ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE;
    case ErrorKind::kProgramLimitExceeded: return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
    case ErrorKind::kOutOfMemory: return ERRCODE_OUT_OF_MEMORY;
    case ErrorKind::kIndexCorrupted: return ERRCODE_INDEX_CORRUPTED;
    case ErrorKind::kFeatureNotSupported: return ERRCODE_FEATURE_NOT_SUPPORTED;
    case ErrorKind::kQueryCanceled: return ERRCODE_QUERY_CANCELED;
    case ErrorKind::kInternal: return ERRCODE_INTERNAL_ERROR;
  }
  return ERRCODE_INTERNAL_ERROR;
}

void copy_text(char* dst, size_t size, const char* src) { std::snprintf(dst, size, "%s", src ? src : ""); }

}  // namespace

const char* PostgresError::what() const noexcept {
  return data_ != nullptr && data_->message != nullptr ? data_->message : "postgres error";
}

void capture_current_exception(ErrorReport* report) noexcept {
  report->sqlstate = ERRCODE_INTERNAL_ERROR;
  report->postgres_error = nullptr;
  report->interrupted = false;
  report->message[0] = report->detail[0] = report->hint[0] = '\0';
  try {
    throw;
  } catch (const PostgresError& e) {
    report->postgres_error = e.data();
  } catch (const Interrupted& e) {
    report->interrupted = true;
    report->sqlstate = ERRCODE_QUERY_CANCELED;
    copy_text(report->message, sizeof report->message, e.what());
  } catch (const Error& e) {
    report->sqlstate = sqlstate_of(e.kind());
    copy_text(report->message, sizeof report->message, e.what());
    copy_text(report->detail, sizeof report->detail, e.detail().c_str());
    copy_text(report->hint, sizeof report->hint, e.hint().c_str());
  } catch (const std::bad_alloc&) {
    report->sqlstate = ERRCODE_OUT_OF_MEMORY;
    copy_text(report->message, sizeof report->message, "out of memory");
    copy_text(report->hint, sizeof report->hint,
              "Raise maintenance_work_mem or work_mem only if the server has the memory for it.");
  } catch (const std::exception& e) {
    copy_text(report->message, sizeof report->message, e.what());
    copy_text(report->detail, sizeof report->detail, "An unexpected internal error occurred in piramid.");
  } catch (...) {
    copy_text(report->message, sizeof report->message, "unknown internal error in piramid");
  }
}

void raise_error_report(const ErrorReport* report) {
  if (report->postgres_error != nullptr) ReThrowError(report->postgres_error);
  // Let Postgres raise its own error for the interrupt (cancel, timeout, terminate) if one is pending.
  if (report->interrupted) CHECK_FOR_INTERRUPTS();
  ereport(ERROR, (errcode(report->sqlstate), errmsg_internal("%s", report->message),
                  report->detail[0] ? errdetail_internal("%s", report->detail) : 0,
                  report->hint[0] ? errhint("%s", report->hint) : 0));
  pg_unreachable();
}

InterruptCheck postgres_interrupt_check() {
  // Only a cancel or a termination stops core work: InterruptPending alone is also set for interrupts
  // that CHECK_FOR_INTERRUPTS() handles and returns from (sinval catch-up, proc-signal barriers, ...),
  // and stopping a long build for those would fail it with a cancel nobody asked for.
  return InterruptCheck([](void*) -> bool { return InterruptPending && (QueryCancelPending || ProcDiePending); },
                        nullptr);
}

ErrorData* try_postgres(void (*fn)(void*), void* arg) {
  MemoryContext caller_context = CurrentMemoryContext;
  ErrorData* volatile error = nullptr;
  PG_TRY();
  {
    fn(arg);
  }
  PG_CATCH();
  {
    MemoryContextSwitchTo(caller_context);
    error = CopyErrorData();
    FlushErrorState();
  }
  PG_END_TRY();
  return error;
}

}  // namespace piramid::pg
