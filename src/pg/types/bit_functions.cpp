// Hamming and Jaccard distances on the built-in bit type.
#include "pg/guard.h"
#include "piramid/distance.h"

extern "C" {
#include "utils/varbit.h"
}

namespace {

struct BitPair {
  const VarBit* a;
  const VarBit* b;
};

BitPair same_length_args(FunctionCallInfo fcinfo) {
  BitPair p{PG_GETARG_VARBIT_P(0), PG_GETARG_VARBIT_P(1)};
  if (VARBITLEN(p.a) != VARBITLEN(p.b))
    ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
                    errmsg("different bit lengths %u and %u", VARBITLEN(p.a), VARBITLEN(p.b)),
                    errhint("Both bit strings must have the same length.")));
  return p;
}

}  // namespace

PIRAMID_FUNCTION(hamming_distance) {
  BitPair p = same_length_args(fcinfo);
  PG_RETURN_FLOAT8(static_cast<double>(piramid::kernels().hamming(VARBITS(p.a), VARBITS(p.b), VARBITBYTES(p.a))));
}

// 1 - |a AND b| / |a OR b|; 1 when the strings share no set bit (including two empty strings).
PIRAMID_FUNCTION(jaccard_distance) {
  BitPair p = same_length_args(fcinfo);
  const piramid::BitCounts c = piramid::kernels().bit_counts(VARBITS(p.a), VARBITS(p.b), VARBITBYTES(p.a));
  if (c.both == 0) PG_RETURN_FLOAT8(1.0);
  PG_RETURN_FLOAT8(1.0 - static_cast<double>(c.both) / static_cast<double>(c.either));
}
