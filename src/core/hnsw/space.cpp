#include "piramid/hnsw/space.h"

#include "piramid/distance.h"
#include "piramid/error.h"
#include "piramid/sparse.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace piramid::hnsw {
namespace {

bool is_inner_product(Metric m) { return m == Metric::kInnerProduct || m == Metric::kCosine; }

float read_float(const uint8_t* p) {
  float f;
  std::memcpy(&f, p, sizeof f);
  return f;
}

// ---- 8-bit codes -------------------------------------------------------------------------------------

class Sq8Space;

class Sq8L2Query : public QueryDistance {
 public:
  Sq8L2Query(const Sq8Space& space, const float* q);
  float operator()(const uint8_t* code) const override;

 private:
  const Sq8Space& space_;
  std::vector<uint8_t> code_;
};

class Sq8InnerProductQuery : public QueryDistance {
 public:
  Sq8InnerProductQuery(const Sq8Space& space, const float* q);
  float operator()(const uint8_t* code) const override;

 private:
  const Sq8Space& space_;
  std::vector<int16_t> weights_;  // q[i] * alpha_
  float alpha_ = 1.0f;
  float offset_term_ = 0.0f;  // sum q[i] * offset[i]
};

class Sq8Space : public Space {
 public:
  Sq8Space(Metric metric, Sq8Quantizer quantizer)
      : Space(metric), q_(std::move(quantizer)), dims_(q_.dims()), step_(q_.step()) {
    if (metric == Metric::kHamming || metric == Metric::kJaccard)
      throw Error(ErrorKind::kInternal, "8-bit codes do not support bit metrics");
  }

  size_t code_size() const override { return dims_ + (is_inner_product(metric()) ? sizeof(float) : 0); }
  bool codes_are_exact() const override { return false; }

  float between(const uint8_t* a, const uint8_t* b) const override {
    const DistanceKernels& k = kernels();
    switch (metric()) {
      case Metric::kL2: return step_ * step_ * static_cast<float>(k.l2sq_u8(a, b, dims_));
      case Metric::kL1: return step_ * static_cast<float>(k.l1_u8(a, b, dims_));
      default: {
        const float dot = q_.offset_norm_sq() + step_ * (read_float(a + dims_) + read_float(b + dims_)) +
                          step_ * step_ * static_cast<float>(k.dot_u8(a, b, dims_));
        return -dot;
      }
    }
  }

  bool encode(const void* value, uint8_t* code) const override {
    const bool exact = q_.encode(static_cast<const float*>(value), code);
    if (is_inner_product(metric())) {
      const float aux = q_.offset_dot(code);
      std::memcpy(code + dims_, &aux, sizeof aux);
    }
    return exact;
  }

  bool decode(const uint8_t* code, float* out) const override {
    q_.decode(code, out);
    return true;
  }

  std::unique_ptr<QueryDistance> prepare(const void* value) const override {
    const float* q = static_cast<const float*>(value);
    if (is_inner_product(metric())) return std::make_unique<Sq8InnerProductQuery>(*this, q);
    return std::make_unique<Sq8L2Query>(*this, q);
  }

  const Sq8Quantizer& quantizer() const { return q_; }
  size_t dims() const { return dims_; }
  float step() const { return step_; }

 private:
  Sq8Quantizer q_;
  size_t dims_;
  float step_;
};

Sq8L2Query::Sq8L2Query(const Sq8Space& space, const float* q) : space_(space), code_(space.dims()) {
  space.quantizer().encode(q, code_.data());
}

float Sq8L2Query::operator()(const uint8_t* code) const {
  const DistanceKernels& k = kernels();
  const float s = space_.step();
  if (space_.metric() == Metric::kL1) return s * static_cast<float>(k.l1_u8(code_.data(), code, space_.dims()));
  return s * s * static_cast<float>(k.l2sq_u8(code_.data(), code, space_.dims()));
}

Sq8InnerProductQuery::Sq8InnerProductQuery(const Sq8Space& space, const float* q)
    : space_(space), weights_(space.dims()) {
  // alpha maps q onto int16 weights as finely as possible while sum |w| * 255 stays below 2^31.
  double max_abs = 0.0, sum_abs = 0.0;
  const std::vector<float>& offsets = space.quantizer().offsets();
  double offset_term = 0.0;
  for (size_t i = 0; i < space.dims(); ++i) {
    max_abs = std::max(max_abs, double(std::fabs(q[i])));
    sum_abs += std::fabs(q[i]);
    offset_term += double(q[i]) * offsets[i];
  }
  offset_term_ = static_cast<float>(offset_term);
  double alpha = max_abs > 0 ? 32767.0 / max_abs : 1.0;
  if (sum_abs * alpha * 255.0 > 2.0e9) alpha = 2.0e9 / (sum_abs * 255.0);
  alpha_ = static_cast<float>(alpha);
  for (size_t i = 0; i < space.dims(); ++i) weights_[i] = static_cast<int16_t>(std::lrint(q[i] * alpha));
}

float Sq8InnerProductQuery::operator()(const uint8_t* code) const {
  const int32_t dot = kernels().dot_u8_i16(code, weights_.data(), space_.dims());
  return -(offset_term_ + space_.step() * static_cast<float>(dot) / alpha_);
}

// ---- exact floats ------------------------------------------------------------------------------------

float float_distance(Metric metric, const float* a, const float* b, size_t n) {
  const DistanceKernels& k = kernels();
  switch (metric) {
    case Metric::kL2: return k.l2sq_f32(a, b, n);
    case Metric::kL1: return k.l1_f32(a, b, n);
    default: return -k.dot_f32(a, b, n);
  }
}

class FloatQuery : public QueryDistance {
 public:
  FloatQuery(Metric metric, const float* q, size_t dims) : metric_(metric), q_(q, q + dims) {}
  float operator()(const uint8_t* code) const override {
    return float_distance(metric_, q_.data(), reinterpret_cast<const float*>(code), q_.size());
  }

 private:
  Metric metric_;
  std::vector<float> q_;
};

class FloatSpace : public Space {
 public:
  FloatSpace(Metric metric, size_t dims) : Space(metric), dims_(dims) {}
  size_t code_size() const override { return dims_ * sizeof(float); }
  bool codes_are_exact() const override { return true; }
  float between(const uint8_t* a, const uint8_t* b) const override {
    return float_distance(metric(), reinterpret_cast<const float*>(a), reinterpret_cast<const float*>(b), dims_);
  }
  bool encode(const void* value, uint8_t* code) const override {
    std::memcpy(code, value, code_size());
    return true;
  }
  bool decode(const uint8_t* code, float* out) const override {
    std::memcpy(out, code, code_size());
    return true;
  }
  std::unique_ptr<QueryDistance> prepare(const void* value) const override {
    return std::make_unique<FloatQuery>(metric(), static_cast<const float*>(value), dims_);
  }

 private:
  size_t dims_;
};

// ---- bits --------------------------------------------------------------------------------------------

float bit_distance(Metric metric, const uint8_t* a, const uint8_t* b, size_t nbytes) {
  const DistanceKernels& k = kernels();
  if (metric == Metric::kHamming) return static_cast<float>(k.hamming(a, b, nbytes));
  const BitCounts c = k.bit_counts(a, b, nbytes);
  return c.both == 0 ? 1.0f : 1.0f - static_cast<float>(double(c.both) / double(c.either));
}

class BitQuery : public QueryDistance {
 public:
  BitQuery(Metric metric, const uint8_t* q, size_t nbytes) : metric_(metric), q_(q, q + nbytes) {}
  float operator()(const uint8_t* code) const override { return bit_distance(metric_, q_.data(), code, q_.size()); }

 private:
  Metric metric_;
  std::vector<uint8_t> q_;
};

class BitSpace : public Space {
 public:
  BitSpace(Metric metric, size_t nbytes) : Space(metric), nbytes_(nbytes) {
    if (metric != Metric::kHamming && metric != Metric::kJaccard)
      throw Error(ErrorKind::kInternal, "bit codes support only hamming and jaccard");
  }
  size_t code_size() const override { return nbytes_; }
  bool codes_are_exact() const override { return true; }
  float between(const uint8_t* a, const uint8_t* b) const override { return bit_distance(metric(), a, b, nbytes_); }
  bool encode(const void* value, uint8_t* code) const override {
    std::memcpy(code, value, nbytes_);
    return true;
  }
  std::unique_ptr<QueryDistance> prepare(const void* value) const override {
    return std::make_unique<BitQuery>(metric(), static_cast<const uint8_t*>(value), nbytes_);
  }

 private:
  size_t nbytes_;
};

// ---- sparse ------------------------------------------------------------------------------------------

SparseView sparse_view(const uint8_t* code) {
  int32_t nnz;
  std::memcpy(&nnz, code, sizeof nnz);
  const int32_t* indices = reinterpret_cast<const int32_t*>(code + sizeof(int32_t));
  return SparseView{nnz, indices, reinterpret_cast<const float*>(indices + nnz)};
}

float sparse_distance(Metric metric, const SparseView& a, const SparseView& b) {
  switch (metric) {
    case Metric::kL2: return sparse_l2sq(a, b);
    case Metric::kL1: return sparse_l1(a, b);
    default: return -sparse_dot(a, b);
  }
}

class SparseQuery : public QueryDistance {
 public:
  SparseQuery(Metric metric, const uint8_t* code)
      : metric_(metric), bytes_(code, code + sparse_code_size(sparse_view(code).nnz)) {}
  float operator()(const uint8_t* code) const override {
    return sparse_distance(metric_, sparse_view(bytes_.data()), sparse_view(code));
  }

 private:
  Metric metric_;
  std::vector<uint8_t> bytes_;
};

class SparseSpace : public Space {
 public:
  explicit SparseSpace(Metric metric) : Space(metric) {}
  size_t code_size() const override { return 0; }
  size_t code_length(const uint8_t* code) const override { return sparse_code_size(sparse_view(code).nnz); }
  bool codes_are_exact() const override { return true; }
  float between(const uint8_t* a, const uint8_t* b) const override {
    return sparse_distance(metric(), sparse_view(a), sparse_view(b));
  }
  bool encode(const void*, uint8_t*) const override {
    throw Error(ErrorKind::kInternal, "sparse codes are written with write_sparse_code");
  }
  // The query value is a sparse code.
  std::unique_ptr<QueryDistance> prepare(const void* value) const override {
    return std::make_unique<SparseQuery>(metric(), static_cast<const uint8_t*>(value));
  }
};

}  // namespace

std::unique_ptr<Space> make_sq8_space(Metric metric, Sq8Quantizer quantizer) {
  return std::make_unique<Sq8Space>(metric, std::move(quantizer));
}
std::unique_ptr<Space> make_float_space(Metric metric, size_t dims) { return std::make_unique<FloatSpace>(metric, dims); }
std::unique_ptr<Space> make_bit_space(Metric metric, size_t nbytes) { return std::make_unique<BitSpace>(metric, nbytes); }
std::unique_ptr<Space> make_sparse_space(Metric metric) { return std::make_unique<SparseSpace>(metric); }

size_t sparse_code_size(int32_t nnz) { return sizeof(int32_t) + static_cast<size_t>(nnz) * 8; }

void write_sparse_code(int32_t nnz, const int32_t* indices, const float* values, uint8_t* code) {
  std::memcpy(code, &nnz, sizeof nnz);
  std::memcpy(code + sizeof(int32_t), indices, sizeof(int32_t) * static_cast<size_t>(nnz));
  std::memcpy(code + sizeof(int32_t) * (1 + static_cast<size_t>(nnz)), values, sizeof(float) * static_cast<size_t>(nnz));
}

}  // namespace piramid::hnsw
