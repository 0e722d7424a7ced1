#include "gemm.h"

#include "piramid/distance.h"

namespace piramid::compute {
namespace {

struct Variant {
  detail::GemmFn fn;
  const char* name;
};

// The SIMD level the distance kernels use also picks the GEMM (so PIRAMID_SIMD caps both).
Variant choose() {
  switch (best_simd_level()) {
    case SimdLevel::kAvx512: return {detail::gemm_abt_avx512, "avx512"};
    case SimdLevel::kAvx2: return {detail::gemm_abt_avx2, "avx2"};
    case SimdLevel::kScalar: break;
  }
  return {detail::gemm_abt_generic, "generic"};
}

const Variant& variant() {
  static const Variant chosen = choose();
  return chosen;
}

}  // namespace

void gemm_abt(const float* a, size_t rows, size_t lda, const float* b, size_t k, size_t dim, float* out) {
  if (rows == 0 || k == 0) return;
  variant().fn(a, rows, lda, b, k, dim, out);
}

const char* gemm_variant() { return variant().name; }

}  // namespace piramid::compute
