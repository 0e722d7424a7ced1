// Reads a chain of list pages (a list or the untrained buffer) page by page from C++ code, assembling
// entries cut into parts. Page reads go through call_postgres(); entries are handed to a callback while
// the page is share-locked (the callback does pure computation).
//
// A part sequence that breaks off (a crash between the records of a multi-part insert) is skipped: its
// row never committed, and vacuum removes its parts.
#pragma once

#include "pg/guard.h"
#include "pg/ivf/pages.h"
#include "piramid/error.h"

extern "C" {
#include "storage/bufmgr.h"
}

#include <cstring>
#include <string>
#include <vector>

namespace piramid::pg::ivf {

class ChainReader {
 public:
  ChainReader(Relation index, BlockNumber head, size_t payload_size, BufferAccessStrategy strategy = nullptr)
      : index_(index), block_(head), payload_size_(payload_size), strategy_(strategy) {}

  // Reads the next page; calls f(const EntryHeader& h, const uint8* payload, const std::vector<BlockNumber>&
  // blocks) for each entry completed on it (blocks: the pages its parts are on). False at the chain's end.
  template <class F>
  bool next_page(F&& f) {
    if (block_ == InvalidBlockNumber) return false;
    Buffer buffer = InvalidBuffer;
    const BlockNumber block = block_;
    Relation index = index_;
    BufferAccessStrategy strategy = strategy_;
    call_postgres([&] {
      buffer = ReadBufferExtended(index, MAIN_FORKNUM, block, RBM_NORMAL, strategy);
      LockBuffer(buffer, BUFFER_LOCK_SHARE);
    });
    Page page = BufferGetPage(buffer);
    const PageOpaque* opaque = page_opaque(page);
    if (opaque->page_type != kListPage || opaque->page_id != kPageId) {
      call_postgres([&] { UnlockReleaseBuffer(buffer); });
      throw Error(ErrorKind::kIndexCorrupted,
                  std::string("ivf index \"") + RelationGetRelationName(index_) + "\" has a list chain through page " +
                      std::to_string(block) + ", which is not a list page",
                  "", "REINDEX the index.");
    }
    block_ = opaque->next;
    const OffsetNumber max = PageGetMaxOffsetNumber(page);
    for (OffsetNumber off = FirstOffsetNumber; off <= max; ++off) {
      ItemId item = PageGetItemId(page, off);
      if (!ItemIdIsNormal(item)) continue;
      const EntryHeader* h = reinterpret_cast<const EntryHeader*>(PageGetItem(page, item));
      const uint8* data = reinterpret_cast<const uint8*>(h) + sizeof(EntryHeader);
      const size_t length = ItemIdGetLength(item) - sizeof(EntryHeader);
      if (h->parts <= 1) {
        pending_parts_ = 0;
        if (length < payload_size_) continue;  // not an entry of this index's shape: the checker reports it
        if (blocks_.size() != 1 || blocks_[0] != block) blocks_.assign(1, block);
        f(*h, data, blocks_);
        continue;
      }
      if (h->part == 0) {
        pending_parts_ = h->parts;
        pending_ = *h;
        assembled_.assign(data, data + length);
        blocks_.assign(1, block);
      } else if (pending_parts_ == h->parts && h->part == pending_next_ &&
                 ItemPointerEquals(&pending_.heap_tid, const_cast<ItemPointer>(&h->heap_tid))) {
        assembled_.insert(assembled_.end(), data, data + length);
        blocks_.push_back(block);
      } else {
        pending_parts_ = 0;
        continue;
      }
      pending_next_ = static_cast<uint8>(h->part + 1);
      if (pending_next_ == pending_parts_) {
        pending_parts_ = 0;
        if (assembled_.size() >= payload_size_) f(pending_, assembled_.data(), blocks_);
      }
    }
    call_postgres([&] { UnlockReleaseBuffer(buffer); });
    return true;
  }

  BlockNumber next_block() const { return block_; }

 private:
  Relation index_;
  BlockNumber block_;
  size_t payload_size_;
  BufferAccessStrategy strategy_;
  EntryHeader pending_{};
  uint8 pending_parts_ = 0, pending_next_ = 0;
  std::vector<uint8> assembled_;
  std::vector<BlockNumber> blocks_;
};

}  // namespace piramid::pg::ivf
