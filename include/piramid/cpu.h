// CPU features that decide which SIMD kernels may run. Read once with CPUID and XGETBV, so a feature
// counts only when both the CPU and the operating system (register state saving) support it.
#pragma once

namespace piramid {

struct CpuFeatures {
  bool avx2 = false;  // with FMA, F16C and POPCNT, which every AVX2 CPU has
  bool avx512 = false;  // F, BW, VL and DQ
  bool avx512_vpopcntdq = false;
  bool avx512_vnni = false;
};

const CpuFeatures& cpu_features();

}  // namespace piramid
