// C++ objects whose lifetime follows a Postgres memory context. When a Postgres error aborts a query, the
// context is reset and the object deleted, so C++ memory held across calls (a scan's search state, a
// build's graph) never leaks and never depends on destructors that longjmp would skip.
#pragma once

#include "pg/postgres_headers.h"

#include <new>
#include <utility>

namespace piramid::pg {

// Creates a T owned by `context`: deleted when the context is reset or deleted. The destructor must not
// call Postgres functions that can raise errors (DESIGN.md section 3.3).
template <class T, class... Args>
T* make_context_owned(MemoryContext context, Args&&... args) {
  MemoryContextCallback* callback =
      static_cast<MemoryContextCallback*>(MemoryContextAlloc(context, sizeof(MemoryContextCallback)));
  T* object = new T(std::forward<Args>(args)...);
  callback->func = [](void* arg) { delete static_cast<T*>(arg); };
  callback->arg = object;
  MemoryContextRegisterResetCallback(context, callback);
  return object;
}

}  // namespace piramid::pg
