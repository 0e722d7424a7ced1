// amvalidate shared by piramid's ordering-only access methods (hnsw, ivf, ivfflat): an operator class needs
// support function 1 (its OpclassInfo), may have support functions up to `max_support` (options), and
// has exactly one operator: strategy 1, FOR ORDER BY, returning double precision.
#pragma once

#include "pg/postgres_headers.h"

namespace piramid::pg {

bool validate_ordering_opclass(Oid opclass, const char* access_method, int max_support);

}  // namespace piramid::pg
