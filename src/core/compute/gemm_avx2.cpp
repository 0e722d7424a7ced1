// gemm_abt with AVX2 and FMA. The build compiles this file with -mavx2 -mfma -mf16c (Makefile and
// CMakeLists.txt); without those flags (a non-x86 build) it is a copy of the generic variant.
#define PIRAMID_GEMM_FN gemm_abt_avx2
#define PIRAMID_EIGEN_NAMESPACE piramid_eigen_avx2
#include "gemm_impl.h"
