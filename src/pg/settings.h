// Registration of each component's GUCs and reloption kinds, called once from _PG_init (module.cpp).
// Each function is defined in its component's folder (src/pg/hnsw/options.cpp, src/pg/ivf/options.cpp,
// src/pg/gpu/...). They call Postgres directly and run before any C++ object exists.
#pragma once

namespace piramid::pg {

void register_gpu_settings();  // src/pg/gpu/settings.cpp

void register_hnsw_settings();  // src/pg/hnsw/options.cpp

void register_ivf_settings();  // src/pg/ivf/options.cpp

}  // namespace piramid::pg
