// Function attributes that let one translation unit hold code for several instruction sets; the caller
// checks cpu_features() before calling any of it. No -m flags are needed, so one binary runs everywhere.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#define PIRAMID_X86 1
#include <immintrin.h>
#define PIRAMID_TARGET_AVX2 __attribute__((target("avx2,fma,f16c,popcnt")))
#define PIRAMID_TARGET_AVX512 \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c,popcnt")))
#define PIRAMID_TARGET_AVX512_POPCNT \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vpopcntdq,avx2,fma,f16c,popcnt")))
#else
#define PIRAMID_X86 0
#endif
