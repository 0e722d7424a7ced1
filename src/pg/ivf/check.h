// piramid_index_check for ivf and ivfflat indexes.
#pragma once

#include "pg/postgres_headers.h"

extern "C" {
#include "lib/stringinfo.h"
#include "utils/rel.h"
}

namespace piramid::pg::ivf {

void check_index(Relation index, Relation heap, StringInfo report);

}  // namespace piramid::pg::ivf
