// Chooses, once, the kernels of the best SIMD level the CPU supports.
#include "piramid/cpu.h"
#include "piramid/distance.h"

#include <cstdlib>
#include <cstring>

namespace piramid {

const char* simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::kAvx512: return "avx512";
    case SimdLevel::kAvx2: return "avx2";
    default: return "scalar";
  }
}

const DistanceKernels* kernels_for(SimdLevel level) {
  const CpuFeatures& cpu = cpu_features();
  switch (level) {
    case SimdLevel::kScalar: return detail::scalar_kernels();
    case SimdLevel::kAvx2: return cpu.avx2 ? detail::avx2_kernels() : nullptr;
    case SimdLevel::kAvx512: return cpu.avx512 ? detail::avx512_kernels(cpu.avx512_vpopcntdq) : nullptr;
  }
  return nullptr;
}

namespace {

SimdLevel choose_level() {
  SimdLevel cap = SimdLevel::kAvx512;
  if (const char* env = std::getenv("PIRAMID_SIMD")) {
    if (std::strcmp(env, "scalar") == 0) cap = SimdLevel::kScalar;
    else if (std::strcmp(env, "avx2") == 0) cap = SimdLevel::kAvx2;
  }
  for (int level = static_cast<int>(cap); level > 0; --level) {
    if (kernels_for(static_cast<SimdLevel>(level)) != nullptr) return static_cast<SimdLevel>(level);
  }
  return SimdLevel::kScalar;
}

}  // namespace

SimdLevel best_simd_level() {
  static const SimdLevel level = choose_level();
  return level;
}

bool avx2_allowed() {
  static const bool ok = best_simd_level() != SimdLevel::kScalar && cpu_features().avx2;
  return ok;
}

const DistanceKernels& kernels() {
  static const DistanceKernels* table = kernels_for(best_simd_level());
  return *table;
}

}  // namespace piramid
