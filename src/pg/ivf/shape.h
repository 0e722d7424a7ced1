// The IndexShape of an index, cached per backend (see codec.h).
#pragma once

#include "pg/ivf/codec.h"

extern "C" {
#include "utils/rel.h"
}

#include <memory>

namespace piramid::pg::ivf {

// The shape of the index whose meta page is `meta` (read by the caller), loading centroids, directory and
// codec data the first time this build id is seen. C++ context (reads pages through call_postgres).
std::shared_ptr<const IndexShape> index_shape(Relation index, const MetaPage& meta);

// Reads the meta page from C++ context.
MetaPage read_meta_cpp(Relation index);

}  // namespace piramid::pg::ivf
