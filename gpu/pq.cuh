// PQ codebook training (k-means per subspace, as the CPU does it) and encoding on the device.
#pragma once

#include "common.cuh"

namespace piramid::gpu {

void pq_train_on_device(const float* x, int64_t n, int dim, const pmd_pq_params& params, float* codebooks,
                        const Hooks& hooks);

void pq_encode_on_device(const float* x, int64_t n, int dim, int m, int nbits, const float* codebooks,
                         uint8_t* codes, const Hooks& hooks);

}  // namespace piramid::gpu
