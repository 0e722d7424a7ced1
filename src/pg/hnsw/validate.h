// amvalidate for hnsw operator classes.
#pragma once

#include "pg/postgres_headers.h"

namespace piramid::pg::hnsw {

bool validate_opclass(Oid opclass);

}  // namespace piramid::pg::hnsw
