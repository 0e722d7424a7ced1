#include "piramid/metric.h"

namespace piramid {

const char* metric_name(Metric metric) {
  switch (metric) {
    case Metric::kL2: return "l2";
    case Metric::kInnerProduct: return "inner product";
    case Metric::kCosine: return "cosine";
    case Metric::kL1: return "l1";
    case Metric::kHamming: return "hamming";
    case Metric::kJaccard: return "jaccard";
  }
  return "unknown";
}

}  // namespace piramid
