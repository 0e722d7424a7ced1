// Training an ivf index: k-means centroids (k-means++ then Lloyd iterations, spherical for inner product
// and cosine) and, for quantized opclasses, the SQ8 quantizer or PQ codebooks, all through the compute
// layer (GPU when piramid.gpu allows, CPU otherwise). Used by CREATE INDEX and, for indexes created
// before there was enough data, by VACUUM and piramid_ivf_train(regclass), which then move every row of
// the untrained buffer into its list (README.md, "Untrained buffer").
#pragma once

#include "pg/ivf/codec.h"

extern "C" {
#include "utils/rel.h"
}

#include <functional>
#include <vector>

namespace piramid::pg::ivf {

struct Model {
  int32 lists = 0;
  std::vector<float> centroids;
  Sq8Quantizer sq8;
  std::vector<float> pq_codebooks;
};

// Rows the untrained buffer must hold before the index trains itself: 10 per list (and, for PQ, at least
// one per codebook entry).
size_t train_threshold(const MetaPage& meta);

// Trains on n float views (n >= meta.lists). progress(phase, done, total) is called on this thread.
// C++ context.
Model train_model(const MetaPage& meta, const float* rows, size_t n,
                  const std::function<void(int phase, int64 done, int64 total)>& progress);

// Writes the model's centroid and codec blobs and one empty head page per list into new pages and fills
// meta's locations, trained_lists, build_id; `heads` gets each list's head page. The directory is written
// separately (write_directory). Nothing is published: the caller writes the meta page. Plain glue.
void write_model(Relation index, const Model& model, MetaPage* meta, bool logged, std::vector<ListEntry>* heads);
BlockNumber write_directory(Relation index, const std::vector<ListEntry>& entries, bool logged);

// The nearest list of one float view.
int32 nearest_list(const IndexShape& shape, const float* floats);

// Trains an untrained index from its buffer, or moves rows left in the buffer of a trained one into their
// lists. With `explicit_call` (piramid_ivf_train) a buffer below the threshold is trained anyway if it has
// at least `lists` rows, and an error explains when it has fewer; vacuum waits for the threshold.
// Returns the rows moved. The caller holds ShareUpdateExclusiveLock on the table. C++ context.
size_t train_from_buffer(Relation index, bool explicit_call);

}  // namespace piramid::pg::ivf
