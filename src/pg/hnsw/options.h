// hnsw index options (WITH (m = 16, ef_construction = 64)) and settings (hnsw.ef_search,
// hnsw.iterative_scan, hnsw.max_scan_tuples, hnsw.scan_mem_multiplier), with pgvector's names, ranges
// and meanings.
#pragma once

#include "pg/postgres_headers.h"

extern "C" {
#include "utils/rel.h"
}

namespace piramid::pg::hnsw {

constexpr int kDefaultM = 16, kMinM = 2, kMaxM = 100;
constexpr int kDefaultEfConstruction = 64, kMinEfConstruction = 4, kMaxEfConstruction = 1000;

enum IterativeScan { kIterativeOff = 0, kIterativeRelaxed = 1, kIterativeStrict = 2 };

struct Settings {
  int ef_search = 40;
  int iterative_scan = kIterativeOff;
  int max_scan_tuples = 20000;
  double scan_mem_multiplier = 1.0;
};
extern Settings g_settings;

struct IndexOptions {
  int32 vl_len_;
  int m;
  int ef_construction;
};

// m and ef_construction of an index (defaults when not given).
void index_options(Relation index, int* m, int* ef_construction);

bytea* parse_options(Datum reloptions, bool validate);

}  // namespace piramid::pg::hnsw

namespace piramid::pg {
void register_hnsw_settings();
}
