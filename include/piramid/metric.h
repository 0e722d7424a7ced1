// The distance an index orders by. Indexes compare "distance keys" where smaller is closer: squared L2
// (monotonic in L2), negative inner product, cosine distance on normalized vectors (computed as negative
// inner product), L1, Hamming and Jaccard.
#pragma once

namespace piramid {

enum class Metric { kL2, kInnerProduct, kCosine, kL1, kHamming, kJaccard };

const char* metric_name(Metric metric);

}  // namespace piramid
