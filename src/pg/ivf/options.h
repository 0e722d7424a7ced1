// ivf and ivfflat index options (WITH (lists = 100)), PQ opclass options (subvectors, bits) and settings:
// ivfflat.probes / iterative_scan / max_probes with pgvector's names, ranges and meanings, and ivf.probes /
// iterative_scan / max_probes / rerank for the ivf access method.
#pragma once

#include "pg/postgres_headers.h"

extern "C" {
#include "utils/rel.h"
}

namespace piramid::pg::ivf {

constexpr int kDefaultLists = 100, kMinLists = 1, kMaxLists = 32768;
constexpr int kMaxProbes = 32768;

enum IterativeScan { kIterativeOff = 0, kIterativeRelaxed = 1 };

// Which access method a scan serves: each reads its own settings.
enum class Flavor { kIvf, kIvfflat };

struct ScanSettings {
  int probes;
  int iterative_scan;
  int max_probes;
  int rerank;  // quantized candidates re-ranked exactly per batch
};
ScanSettings scan_settings(Flavor flavor);

struct IndexOptions {
  int32 vl_len_;
  int lists;
};

struct PqOptions {
  int32 vl_len_;
  int subvectors;  // 0: chosen from the dimensions
  int bits;
};

// The lists option of an index (default when not given).
int index_lists(Relation index);
// PQ subvectors and bits of the index's opclass (defaults resolved against dims).
void pq_options(Relation index, int dims, int* m, int* bits);

bytea* parse_options(Datum reloptions, bool validate, Flavor flavor);

}  // namespace piramid::pg::ivf

namespace piramid::pg {
void register_ivf_settings();
}
