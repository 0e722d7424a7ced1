// Per block of an index, the buffer that last held it in this backend: a hint for ReadRecentBuffer,
// which pins the buffer without the shared buffer mapping lookup (a hash table probe that misses the
// CPU cache) when the hint is still right. ReadRecentBuffer checks the buffer's tag, so a stale hint is
// harmless. Backend-local; index shapes keep one per build (hnsw and ivf).
#pragma once

#include "pg/postgres_headers.h"

extern "C" {
#include "storage/bufmgr.h"
#include "utils/rel.h"
}

#include <vector>

namespace piramid::pg {

class RecentBuffers {
 public:
  // Pins `block` of the relation's main fork: the hinted buffer when it still holds the block, else
  // ReadBufferExtended (with `strategy`), remembering the buffer. Plain glue: inside call_postgres.
  Buffer pin(Relation rel, BlockNumber block, BufferAccessStrategy strategy = nullptr) {
    if (block < buffers_.size()) {
      const Buffer hint = buffers_[block];
      if (hint != InvalidBuffer && ReadRecentBuffer(rel->rd_node, MAIN_FORKNUM, block, hint)) return hint;
    } else {
      // No C++ exception may leave this Postgres-context code, and no Postgres error may leave a catch
      // block: without memory for the hints, the read below just goes without one.
      try {
        buffers_.resize(static_cast<size_t>(block) + block / 8 + 64, InvalidBuffer);
      } catch (...) {
      }
    }
    const Buffer buffer = ReadBufferExtended(rel, MAIN_FORKNUM, block, RBM_NORMAL, strategy);
    if (block < buffers_.size()) buffers_[block] = buffer;
    return buffer;
  }

  // The buffer that last held `block`, or InvalidBuffer: only a hint (it may hold another page now).
  Buffer hint(BlockNumber block) const { return block < buffers_.size() ? buffers_[block] : InvalidBuffer; }

 private:
  std::vector<Buffer> buffers_;
};

}  // namespace piramid::pg
