#include "pg/ivf/options.h"

#include "pg/am/index_check.h"
#include "pg/guard.h"
#include "pg/ivf/check.h"
#include "pg/settings.h"

#include <algorithm>

extern "C" {
#include "access/reloptions.h"
#include "utils/guc.h"
#include "utils/rel.h"
}

namespace piramid::pg::ivf {
namespace {

relopt_kind g_ivf_kind, g_ivfflat_kind;

struct FlavorSettings {
  int probes = 1;
  int iterative_scan = kIterativeOff;
  int max_probes = kMaxProbes;
  int rerank = 100;
};
FlavorSettings g_ivf, g_ivfflat;

const struct config_enum_entry kIterativeScanOptions[] = {
    {"off", kIterativeOff, false},
    {"relaxed_order", kIterativeRelaxed, false},
    {nullptr, 0, false},
};

void define_scan_settings(const char* prefix, FlavorSettings* s, int default_probes) {
  char name[64];
  snprintf(name, sizeof name, "%s.probes", prefix);
  DefineCustomIntVariable(pstrdup(name), "Sets the number of lists to probe",
                          "Valid range is 1..32768. More probes find more true neighbours and take longer; "
                          "probes = lists searches every list.",
                          &s->probes, default_probes, 1, kMaxProbes, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  snprintf(name, sizeof name, "%s.iterative_scan", prefix);
  DefineCustomEnumVariable(pstrdup(name), "Sets the mode for iterative scans",
                           "off or relaxed_order: when a WHERE clause filters out index results, probe more lists "
                           "until LIMIT rows are found (at most max_probes lists).",
                           &s->iterative_scan, kIterativeOff, kIterativeScanOptions, PGC_USERSET, 0, nullptr,
                           nullptr, nullptr);
  snprintf(name, sizeof name, "%s.max_probes", prefix);
  DefineCustomIntVariable(pstrdup(name), "Sets the max number of probes for iterative scans",
                          "Valid range is 1..32768; 32768 means every list.", &s->max_probes, kMaxProbes, 1,
                          kMaxProbes, PGC_USERSET, 0, nullptr, nullptr, nullptr);
}

}  // namespace

ScanSettings scan_settings(Flavor flavor) {
  const FlavorSettings& s = flavor == Flavor::kIvfflat ? g_ivfflat : g_ivf;
  return ScanSettings{s.probes, s.iterative_scan, s.max_probes, g_ivf.rerank};
}

int index_lists(Relation index) {
  const IndexOptions* options = reinterpret_cast<const IndexOptions*>(index->rd_options);
  return options ? options->lists : kDefaultLists;
}

bytea* parse_options(Datum reloptions, bool validate, Flavor flavor) {
  static const relopt_parse_elt table[] = {{"lists", RELOPT_TYPE_INT, offsetof(IndexOptions, lists)}};
  return static_cast<bytea*>(build_reloptions(reloptions, validate,
                                              flavor == Flavor::kIvfflat ? g_ivfflat_kind : g_ivf_kind,
                                              sizeof(IndexOptions), table, 1));
}

}  // namespace piramid::pg::ivf

namespace piramid::pg {

void register_ivf_settings() {
  using namespace ivf;
  g_ivf_kind = add_reloption_kind();
  g_ivfflat_kind = add_reloption_kind();
  for (relopt_kind kind : {g_ivf_kind, g_ivfflat_kind})
    add_int_reloption(kind, "lists", "Number of inverted lists", kDefaultLists, kMinLists, kMaxLists,
                      AccessExclusiveLock);
  define_scan_settings("ivfflat", &g_ivfflat, 1);
  define_scan_settings("ivf", &g_ivf, 1);
  DefineCustomIntVariable("ivf.rerank", "Sets how many quantized candidates are re-ranked with exact distances",
                          "Valid range is 1..100000. SQ8 and PQ indexes rank candidates by their codes, then fetch "
                          "this many from the table and order them exactly; larger values raise recall.",
                          &g_ivf.rerank, 100, 1, 100000, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  MarkGUCPrefixReserved("ivfflat");
  MarkGUCPrefixReserved("ivf");
  register_index_checker("ivf", check_index);
  register_index_checker("ivfflat", check_index);
}

}  // namespace piramid::pg

namespace piramid::pg::ivf {

void pq_options(Relation index, int dims, int* m, int* bits) {
  bytea** all = RelationGetIndexAttOptions(index, false);
  const PqOptions* options = all != nullptr ? reinterpret_cast<const PqOptions*>(all[0]) : nullptr;
  *bits = options != nullptr ? options->bits : 4;
  *m = options != nullptr ? options->subvectors : 0;
  if (*m == 0 && *bits == 4) {
    // Default for 4 bits: about four dimensions per subvector, an even count of at most 256, so codes
    // take the fast scan (the largest even divisor of dims not above min(256, max(2, dims / 4))).
    for (int d = std::min(256, std::max(2, dims / 4)) & ~1; d >= 2; d -= 2) {
      if (dims % d == 0) {
        *m = d;
        break;
      }
    }
  }
  if (*m == 0) {
    // Otherwise about eight dimensions per subvector (the largest divisor of dims not above dims / 8).
    *m = 1;
    for (int d = std::max(1, dims / 8); d >= 1; --d) {
      if (dims % d == 0) {
        *m = d;
        break;
      }
    }
  }
  if (*m > dims || dims % *m != 0)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("subvectors must divide the number of dimensions"),
                    errdetail("The column has %d dimensions and subvectors is %d.", dims, *m),
                    errhint("Choose a divisor of %d, for example %d, or leave subvectors unset.", dims,
                            dims % 4 == 0 ? dims / 4 : dims)));
}

}  // namespace piramid::pg::ivf

// Support function 2 of the PQ operator classes: their options, (subvectors = m, bits = 4..8).
PIRAMID_FUNCTION(ivf_pq_options) {
  using piramid::pg::ivf::PqOptions;
  local_relopts* relopts = reinterpret_cast<local_relopts*>(PG_GETARG_POINTER(0));
  init_local_reloptions(relopts, sizeof(PqOptions));
  add_local_int_reloption(relopts, "subvectors",
                          "Number of PQ subvectors (must divide the dimensions; 0 = about dims / 4 with 4 bits, else dims / 8)", 0, 0, 16000,
                          offsetof(PqOptions, subvectors));
  add_local_int_reloption(relopts, "bits", "Bits per PQ sub-code", 4, 4, 8, offsetof(PqOptions, bits));
  PG_RETURN_VOID();
}
