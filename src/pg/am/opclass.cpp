#include "pg/am/opclass.h"

#include "pg/guard.h"
#include "pg/types/vector_types.h"
#include "piramid/half.h"

extern "C" {
#include "access/genam.h"
#include "utils/varbit.h"
}

#include <cmath>

namespace piramid::pg {

const char* value_type_name(ValueType type) {
  switch (type) {
    case ValueType::kVector: return "vector";
    case ValueType::kHalfvec: return "halfvec";
    case ValueType::kSparsevec: return "sparsevec";
    case ValueType::kBit: return "bit";
  }
  return "unknown";
}

const OpclassInfo& index_opclass_info(Relation index) {
  FmgrInfo* proc = index_getprocinfo(index, 1, 1);
  return *reinterpret_cast<const OpclassInfo*>(DatumGetPointer(FunctionCall1(proc, PointerGetDatum(nullptr))));
}

int32_t column_dimensions(Relation index) { return TupleDescAttr(RelationGetDescr(index), 0)->atttypmod; }

namespace {

// Scales v to unit length in place; false for the zero vector.
bool normalize(float* v, int32_t n) {
  double sum = 0.0;
  for (int32_t i = 0; i < n; ++i) sum += double(v[i]) * v[i];
  if (!(sum > 0.0)) return false;
  const double inv = 1.0 / std::sqrt(sum);
  for (int32_t i = 0; i < n; ++i) v[i] = static_cast<float>(v[i] * inv);
  return true;
}

}  // namespace

bool extract_value(const OpclassInfo& info, Datum datum, PlainValue* out) {
  *out = PlainValue{};
  out->type = info.type;
  const bool cosine = info.metric == Metric::kCosine;
  switch (info.type) {
    case ValueType::kVector: {
      const auto* v = reinterpret_cast<const Vector*>(PG_DETOAST_DATUM(datum));
      out->dims = v->dim;
      if (!cosine) {
        out->dense = v->values();
        return true;
      }
      float* copy = static_cast<float*>(palloc(sizeof(float) * v->dim));
      memcpy(copy, v->values(), sizeof(float) * v->dim);
      out->dense = copy;
      return normalize(copy, v->dim);
    }
    case ValueType::kHalfvec: {
      const auto* v = reinterpret_cast<const HalfVector*>(PG_DETOAST_DATUM(datum));
      out->dims = v->dim;
      out->half = v->values();
      float* floats = static_cast<float*>(palloc(sizeof(float) * v->dim));
      for (int i = 0; i < v->dim; ++i) floats[i] = half_to_float(v->values()[i]);
      out->dense = floats;
      return !cosine || normalize(floats, v->dim);
    }
    case ValueType::kSparsevec: {
      const auto* v = reinterpret_cast<const SparseVector*>(PG_DETOAST_DATUM(datum));
      out->dims = v->dim;
      out->nnz = v->nnz;
      out->indices = v->indices();
      if (!cosine) {
        out->values = v->values();
        return true;
      }
      float* copy = static_cast<float*>(palloc(sizeof(float) * (v->nnz + 1)));
      memcpy(copy, v->values(), sizeof(float) * v->nnz);
      out->values = copy;
      return normalize(copy, v->nnz);
    }
    case ValueType::kBit: {
      const VarBit* b = DatumGetVarBitP(datum);
      out->dims = VARBITLEN(b);
      out->bits = VARBITS(b);
      return true;
    }
  }
  return false;
}

}  // namespace piramid::pg

// Support function 1 of every piramid index operator class: one per (type, metric, codec).
#define PIRAMID_OPCLASS(name, type, metric, codec)                                           \
  PIRAMID_FUNCTION(name) {                                                                   \
    static const piramid::pg::OpclassInfo info{piramid::pg::ValueType::type, piramid::Metric::metric, \
                                               piramid::pg::Codec::codec};                  \
    PG_RETURN_POINTER(&info);                                                                \
  }

PIRAMID_OPCLASS(opclass_vector_l2, kVector, kL2, kFlat)
PIRAMID_OPCLASS(opclass_vector_ip, kVector, kInnerProduct, kFlat)
PIRAMID_OPCLASS(opclass_vector_cosine, kVector, kCosine, kFlat)
PIRAMID_OPCLASS(opclass_vector_l1, kVector, kL1, kFlat)
PIRAMID_OPCLASS(opclass_halfvec_l2, kHalfvec, kL2, kFlat)
PIRAMID_OPCLASS(opclass_halfvec_ip, kHalfvec, kInnerProduct, kFlat)
PIRAMID_OPCLASS(opclass_halfvec_cosine, kHalfvec, kCosine, kFlat)
PIRAMID_OPCLASS(opclass_halfvec_l1, kHalfvec, kL1, kFlat)
PIRAMID_OPCLASS(opclass_sparsevec_l2, kSparsevec, kL2, kFlat)
PIRAMID_OPCLASS(opclass_sparsevec_ip, kSparsevec, kInnerProduct, kFlat)
PIRAMID_OPCLASS(opclass_sparsevec_cosine, kSparsevec, kCosine, kFlat)
PIRAMID_OPCLASS(opclass_sparsevec_l1, kSparsevec, kL1, kFlat)
PIRAMID_OPCLASS(opclass_bit_hamming, kBit, kHamming, kFlat)
PIRAMID_OPCLASS(opclass_bit_jaccard, kBit, kJaccard, kFlat)
PIRAMID_OPCLASS(opclass_vector_l2_sq8, kVector, kL2, kSq8)
PIRAMID_OPCLASS(opclass_vector_ip_sq8, kVector, kInnerProduct, kSq8)
PIRAMID_OPCLASS(opclass_vector_cosine_sq8, kVector, kCosine, kSq8)
PIRAMID_OPCLASS(opclass_vector_l2_pq, kVector, kL2, kPq)
PIRAMID_OPCLASS(opclass_vector_ip_pq, kVector, kInnerProduct, kPq)
PIRAMID_OPCLASS(opclass_vector_cosine_pq, kVector, kCosine, kPq)
