// gemm_abt for any x86-64 (SSE2) or other CPU: compiled with the default flags.
#define PIRAMID_GEMM_FN gemm_abt_generic
#define PIRAMID_EIGEN_NAMESPACE piramid_eigen_generic
#include "gemm_impl.h"
