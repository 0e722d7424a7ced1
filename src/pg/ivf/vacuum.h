// VACUUM for ivf: remove dead entries, point insert hints at reclaimed space, train from the buffer.
#pragma once

#include "pg/postgres_headers.h"

extern "C" {
#include "access/genam.h"
}

namespace piramid::pg::ivf {

IndexBulkDeleteResult* bulk_delete(IndexVacuumInfo* info, IndexBulkDeleteResult* stats,
                                   IndexBulkDeleteCallback callback, void* callback_state);
IndexBulkDeleteResult* vacuum_cleanup(IndexVacuumInfo* info, IndexBulkDeleteResult* stats);

}  // namespace piramid::pg::ivf
