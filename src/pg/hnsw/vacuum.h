// Vacuum: remove dead rows' nodes, repair their neighbours' links, move the entry point, free slots.
#pragma once

#include "pg/postgres_headers.h"

extern "C" {
#include "access/genam.h"
}

namespace piramid::pg::hnsw {

IndexBulkDeleteResult* bulk_delete(IndexVacuumInfo* info, IndexBulkDeleteResult* stats,
                                   IndexBulkDeleteCallback callback, void* callback_state);
IndexBulkDeleteResult* vacuum_cleanup(IndexVacuumInfo* info, IndexBulkDeleteResult* stats);

}  // namespace piramid::pg::hnsw
