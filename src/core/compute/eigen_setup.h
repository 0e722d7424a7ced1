// Include before any Eigen header (and before defining the namespace Eigen is renamed to): a failed
// Eigen assertion throws instead of aborting the server (DESIGN.md section 3.7), and GCC's false
// warnings inside Eigen are silenced.
#pragma once

#include <stdexcept>

// GCC 12 reports false "(may be) used uninitialized" and unused-variable warnings inside Eigen's AVX and
// AVX-512 packet code (PGXS includes Eigen with -I, not as a system header).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wunused-variable"

#define eigen_assert(x)                                                                \
  do {                                                                                 \
    if (!(x)) throw std::logic_error("piramid: internal Eigen assertion failed: " #x); \
  } while (0)
