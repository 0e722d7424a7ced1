// gemm_abt with AVX-512 (F, BW, DQ, VL) and FMA. The build compiles this file with the matching -m flags
// (Makefile and CMakeLists.txt); without them it is a copy of the generic variant.
#define PIRAMID_GEMM_FN gemm_abt_avx512
#define PIRAMID_EIGEN_NAMESPACE piramid_eigen_avx512
#include "gemm_impl.h"
