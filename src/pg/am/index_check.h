// piramid_index_check(regclass): verifies a piramid index against its structural invariants and its heap,
// in the spirit of amcheck. Each access method registers its checker at load time.
#pragma once

#include "pg/postgres_headers.h"

extern "C" {
#include "lib/stringinfo.h"
#include "utils/rel.h"
}

namespace piramid::pg {

// Appends a human-readable report to `report` and raises ERRCODE_INDEX_CORRUPTED on corruption. Called
// with ShareLock on both relations, so no concurrent writes (AccessShareLock on a hot standby, where the
// caller runs it on a quiet, caught-up replica).
using IndexChecker = void (*)(Relation index, Relation heap, StringInfo report);

void register_index_checker(const char* access_method, IndexChecker checker);

}  // namespace piramid::pg
