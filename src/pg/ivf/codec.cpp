#include "pg/ivf/codec.h"

#include "piramid/distance.h"
#include "piramid/half.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace piramid::pg::ivf {

size_t flat_size(ValueType type, int32 dims) {
  switch (type) {
    case ValueType::kHalfvec: return sizeof(uint16) * static_cast<size_t>(dims);
    case ValueType::kBit: return (static_cast<size_t>(dims) + 7) / 8;
    default: return sizeof(float) * static_cast<size_t>(dims);
  }
}

size_t code_size(ValueType type, Codec codec, Metric metric, int32 dims, int32 pq_m, int32 pq_bits) {
  switch (codec) {
    case Codec::kSq8: return static_cast<size_t>(dims);
    case Codec::kPq:
      return pq_code_size(static_cast<size_t>(pq_m), pq_bits) + (metric == Metric::kL2 ? sizeof(float) : 0);
    default: return flat_size(type, dims);
  }
}

void float_view(const PlainValue& value, float* out) {
  if (value.type == ValueType::kBit) {
    for (int32 i = 0; i < value.dims; ++i) out[i] = (value.bits[i / 8] >> (7 - i % 8)) & 1 ? 1.0f : 0.0f;
  } else {
    memcpy(out, value.dense, sizeof(float) * static_cast<size_t>(value.dims));
  }
}

void flat_to_floats(ValueType type, Metric metric, int32 dims, const uint8* flat, float* out) {
  const size_t n = static_cast<size_t>(dims);
  if (type == ValueType::kBit) {
    for (size_t i = 0; i < n; ++i) out[i] = (flat[i / 8] >> (7 - i % 8)) & 1 ? 1.0f : 0.0f;
  } else if (type == ValueType::kHalfvec) {
    uint16 h;
    double norm = 0;
    for (size_t i = 0; i < n; ++i) {
      memcpy(&h, flat + 2 * i, 2);
      out[i] = half_to_float(h);
      norm += double(out[i]) * out[i];
    }
    if (metric == Metric::kCosine && norm > 0) {
      const double inv = 1.0 / std::sqrt(norm);
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(out[i] * inv);
    }
  } else {
    memcpy(out, flat, sizeof(float) * n);
  }
}

void write_flat(const PlainValue& value, uint8* out) {
  switch (value.type) {
    case ValueType::kHalfvec: memcpy(out, value.half, sizeof(uint16) * static_cast<size_t>(value.dims)); break;
    case ValueType::kBit: memcpy(out, value.bits, (static_cast<size_t>(value.dims) + 7) / 8); break;
    default: memcpy(out, value.dense, sizeof(float) * static_cast<size_t>(value.dims)); break;
  }
}

void encode_entry(const IndexShape& shape, const PlainValue& value, const float* floats, int32 list, uint8* out) {
  switch (shape.codec) {
    case Codec::kSq8: shape.sq8.encode(floats, out); break;
    case Codec::kPq: {
      const size_t n = static_cast<size_t>(shape.dims);
      std::vector<float> residual(floats, floats + n);
      const float* centroid = shape.centroids.data() + static_cast<size_t>(list) * n;
      for (size_t i = 0; i < n; ++i) residual[i] -= centroid[i];
      memset(out, 0, shape.code_size);
      pq_encode(shape.pq, shape.pq_codebooks.data(), residual.data(), 1, out);
      if (shape.metric == Metric::kL2) write_pq_term(shape, list, out);
      break;
    }
    default: write_flat(value, out); break;
  }
}

void write_pq_term(const IndexShape& shape, int32 list, uint8* entry) {
  const size_t n = static_cast<size_t>(shape.dims);
  std::vector<float> r(n);
  pq_decode(shape.pq, shape.pq_codebooks.data(), entry, 1, r.data());
  const float* centroid = shape.centroids.data() + static_cast<size_t>(list) * n;
  const DistanceKernels& k = kernels();
  const float term = k.dot_f32(r.data(), r.data(), n) + 2.0f * k.dot_f32(centroid, r.data(), n);
  memcpy(entry + shape.pq.code_size(), &term, sizeof term);
}

Metric kmeans_metric(Metric metric) {
  switch (metric) {
    case Metric::kInnerProduct: return Metric::kInnerProduct;
    case Metric::kCosine: return Metric::kCosine;
    default: return Metric::kL2;
  }
}

double key_to_distance(Metric metric, float key) {
  if (metric == Metric::kL2) return std::sqrt(static_cast<double>(std::max(0.0f, key)));
  return static_cast<double>(key);
}

QueryDistance::QueryDistance(const IndexShape& shape, const PlainValue& query) : shape_(shape) {
  const size_t n = static_cast<size_t>(shape.dims);
  floats_.resize(n);
  float_view(query, floats_.data());
  if (shape.type == ValueType::kHalfvec) half_.assign(query.half, query.half + n);
  if (shape.type == ValueType::kBit) bits_.assign(query.bits, query.bits + (n + 7) / 8);
  if (shape.codec == Codec::kSq8 && shape.lists > 0) {
    if (shape.metric == Metric::kL2) {
      sq8_code_.resize(n);
      shape.sq8.encode(floats_.data(), sq8_code_.data());
    } else {
      // dot(decoded, q) = sum offset_i q_i + step * sum code_i q_i; the second sum runs on int16 weights
      // scaled so that sum |w| * 255 stays below 2^31 (the kernel's contract).
      double max_abs = 0, sum_abs = 0, offset_dot = 0;
      for (size_t i = 0; i < n; ++i) {
        max_abs = std::max(max_abs, std::fabs(double(floats_[i])));
        sum_abs += std::fabs(double(floats_[i]));
        offset_dot += double(shape.sq8.offsets()[i]) * floats_[i];
      }
      double scale = max_abs > 0 ? 32767.0 / max_abs : 1.0;
      if (sum_abs > 0) scale = std::min(scale, 8.0e6 / sum_abs);
      sq8_scale_ = static_cast<float>(scale);
      sq8_offset_dot_ = static_cast<float>(offset_dot);
      sq8_weights_.resize(n);
      for (size_t i = 0; i < n; ++i) sq8_weights_[i] = static_cast<int16>(std::lrint(floats_[i] * scale));
    }
  }
  if (shape.codec == Codec::kPq && shape.lists > 0) {
    // One table per query: -(q . codeword) for every codebook entry of every subspace.
    pq_table_.resize(shape.pq.table_floats());
    pq_lookup_table_transposed(shape.pq, shape.pq_transposed.data(), floats_.data(), Metric::kInnerProduct,
                               pq_table_.data());
    pq4_fast_ = shape.pq.nbits == 4 && pq4_fast_scan_fits(shape.pq.m);
    if (pq4_fast_) pq4_ = pq4_quantize_table(pq_table_.data(), shape.pq.m);
  }
}

void QueryDistance::set_list(int32 list) {
  if (shape_.codec != Codec::kPq || shape_.lists == 0) return;
  const size_t n = static_cast<size_t>(shape_.dims);
  const float* centroid = shape_.centroids.data() + static_cast<size_t>(list) * n;
  // |q - c - r|^2 = |q - c|^2 + (|r|^2 + 2 c.r) - 2 q.r;  q.(c + r) = q.c + q.r. The table gives -q.r,
  // the entry carries the middle term (L2), the list gives the rest.
  switch (shape_.metric) {
    case Metric::kL2: pq_bias_ = kernels().l2sq_f32(floats_.data(), centroid, n); break;
    case Metric::kCosine: pq_bias_ = 1.0f - kernels().dot_f32(floats_.data(), centroid, n); break;
    default: pq_bias_ = -kernels().dot_f32(floats_.data(), centroid, n); break;
  }
}

float QueryDistance::exact(const uint8* flat) const {
  const DistanceKernels& k = kernels();
  const size_t n = static_cast<size_t>(shape_.dims);
  switch (shape_.type) {
    case ValueType::kBit: return static_cast<float>(k.hamming(bits_.data(), flat, (n + 7) / 8));
    case ValueType::kHalfvec: {
      const uint16* v = reinterpret_cast<const uint16*>(flat);
      switch (shape_.metric) {
        case Metric::kL2: return k.l2sq_f16(half_.data(), v, n);
        case Metric::kInnerProduct: return -k.dot_f16(half_.data(), v, n);
        default: {
          const CosineParts p = k.cosine_f16(half_.data(), v, n);
          const double denominator = std::sqrt(double(p.norm_a) * double(p.norm_b));
          if (!(denominator > 0)) return std::numeric_limits<float>::quiet_NaN();
          return static_cast<float>(1.0 - std::clamp(double(p.dot) / denominator, -1.0, 1.0));
        }
      }
    }
    default: {
      const float* v = reinterpret_cast<const float*>(flat);
      switch (shape_.metric) {
        case Metric::kL2: return k.l2sq_f32(floats_.data(), v, n);
        case Metric::kInnerProduct: return -k.dot_f32(floats_.data(), v, n);
        default: return 1.0f - k.dot_f32(floats_.data(), v, n);
      }
    }
  }
}

float QueryDistance::approximate(const uint8* code) const {
  const size_t n = static_cast<size_t>(shape_.dims);
  switch (shape_.codec) {
    case Codec::kSq8: {
      const DistanceKernels& k = kernels();
      if (shape_.metric == Metric::kL2) {
        const float step = shape_.sq8.step();
        return static_cast<float>(k.l2sq_u8(sq8_code_.data(), code, n)) * step * step;
      }
      const float dot = sq8_offset_dot_ + shape_.sq8.step() * static_cast<float>(k.dot_u8_i16(code, sq8_weights_.data(), n)) / sq8_scale_;
      return shape_.metric == Metric::kCosine ? 1.0f - dot : -dot;
    }
    case Codec::kPq: {
      float key;
      approximate_many(&code, 1, &key);
      return key;
    }
    default: return exact(code);
  }
}

void QueryDistance::approximate_many(const uint8* const* codes, size_t n, float* out) const {
  if (shape_.codec != Codec::kPq) {
    for (size_t i = 0; i < n; ++i) out[i] = approximate(codes[i]);
    return;
  }
  if (pq4_fast_) {
    pq4_scan_codes(pq4_, shape_.pq.m, codes, n, out);
  } else {
    pq_adc_gather(shape_.pq, pq_table_.data(), codes, n, out);
  }
  if (shape_.metric != Metric::kL2) {
    for (size_t i = 0; i < n; ++i) out[i] += pq_bias_;
    return;
  }
  const size_t at = shape_.pq.code_size();
  for (size_t i = 0; i < n; ++i) {
    float term;
    memcpy(&term, codes[i] + at, sizeof term);
    out[i] = pq_bias_ + term + 2.0f * out[i];
  }
}

void QueryDistance::block_keys(const uint8* codes, const float* terms, size_t used, float* out) const {
  uint16 sums[kBlockSlots];
  kernels().pq4_scan32(pq4_.lut.data(), codes, shape_.pq.m, sums);
  // All 32 slots, branch-free, so the loop vectorizes (slots from `used` up hold what their zero bytes
  // give; callers read the first `used`).
  const float bias = pq4_.bias, scale = pq4_.scale;
  if (terms != nullptr) {
    for (size_t s = 0; s < kBlockSlots; ++s)
      out[s] = pq_bias_ + terms[s] + 2.0f * (bias + scale * static_cast<float>(sums[s]));
  } else {
    for (size_t s = 0; s < kBlockSlots; ++s) out[s] = pq_bias_ + (bias + scale * static_cast<float>(sums[s]));
  }
  (void)used;
}

void QueryDistance::centroid_keys(float* out) const {
  const DistanceKernels& k = kernels();
  const size_t n = static_cast<size_t>(shape_.dims);
  const bool l2 = kmeans_metric(shape_.metric) == Metric::kL2;
  if (!shape_.probe_centroids.empty()) {
    std::vector<float> q(n);
    bool fits = true;
    for (size_t i = 0; i < n && fits; ++i) {
      q[i] = floats_[i] * shape_.probe_scale;
      fits = std::fabs(q[i]) < 60000.0f;  // a query far outside the data's range: use float32
    }
    if (fits) {
      // |q - c|^2 - |q|^2 = |c|^2 - 2 q.c orders lists like |q - c|^2 (the order is all that is used).
      k.dots_f16(q.data(), shape_.probe_centroids.data(), static_cast<size_t>(shape_.lists), n, out);
      for (int32 c = 0; c < shape_.lists; ++c)
        out[c] = l2 ? shape_.probe_norms[static_cast<size_t>(c)] - 2.0f * out[c] : -out[c];
      return;
    }
  }
  for (int32 c = 0; c < shape_.lists; ++c) {
    const float* centroid = shape_.centroids.data() + static_cast<size_t>(c) * n;
    out[c] = l2 ? k.l2sq_f32(floats_.data(), centroid, n) : -k.dot_f32(floats_.data(), centroid, n);
  }
}

}  // namespace piramid::pg::ivf
