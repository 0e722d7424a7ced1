// Cancellation for long core loops (DESIGN.md section 3.5). The glue passes a callback that only reads
// Postgres' interrupt flags; the core polls it and throws Interrupted, and the glue's guard then lets
// Postgres raise its own cancellation error (CHECK_FOR_INTERRUPTS).
#pragma once

#include "piramid/error.h"

namespace piramid {

class Interrupted : public Error {
 public:
  Interrupted() : Error(ErrorKind::kQueryCanceled, "canceling statement due to user request") {}
};

class InterruptCheck {
 public:
  using Poll = bool (*)(void* arg);  // true when the operation should stop; must be safe on any thread

  InterruptCheck() = default;
  InterruptCheck(Poll poll, void* arg) : poll_(poll), arg_(arg) {}

  bool pending() const { return poll_ != nullptr && poll_(arg_); }
  // Throws Interrupted when an interrupt is pending.
  void check() const {
    if (pending()) throw Interrupted();
  }

 private:
  Poll poll_ = nullptr;
  void* arg_ = nullptr;
};

}  // namespace piramid
