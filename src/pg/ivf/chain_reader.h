// Reads a chain of list pages (a list or the untrained buffer) page by page from C++ code, assembling
// entries cut into parts. Page reads go through call_postgres(); entries are handed to a callback while
// the page is share-locked (the callback does pure computation).
//
// Lists of block layout (pages.h) are read block by block instead (set_blocks).
//
// The untrained buffer's chain (set_buffer_chain) can be cut under a reader: moving rows into lists frees
// the pages behind the head once their rows are in lists, and a page may be free, or reused by a list,
// by the time a reader that was walking towards it gets there. The reader then stops and cut() says so;
// the caller reads the chain again from its head, which now links to what was not moved yet.
//
// A part sequence that breaks off (a crash between the records of a multi-part insert) is skipped: its
// row never committed, and vacuum removes its parts.
#pragma once

#include "pg/am/recent_buffers.h"
#include "pg/guard.h"
#include "pg/ivf/pages.h"
#include "piramid/error.h"

extern "C" {
#include "storage/bufmgr.h"
}

#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace piramid::pg::ivf {

class ChainReader {
 public:
  // read_ahead: pin each next page early and prefetch it (scans). Not for readers that modify pages
  // they have read (a cleanup lock needs the only pin).
  ChainReader(Relation index, BlockNumber head, size_t payload_size, BufferAccessStrategy strategy = nullptr,
              bool read_ahead = false)
      : index_(index), block_(head), payload_size_(payload_size), strategy_(strategy), read_ahead_(read_ahead) {}

  // Lists of block layout (shape.m > 0): next_page reports each live slot of each block as an entry
  // with a null payload (codes are interleaved in the block); next_page_blocks gives whole blocks.
  void set_blocks(const BlockShape& shape) { block_shape_ = shape; }

  // Pins pages through these hints (scans; pg/am/recent_buffers.h).
  void set_recent_buffers(RecentBuffers* recent) { recent_ = recent; }

  // The chain is the untrained buffer's (see above).
  void set_buffer_chain() { expect_ = kBufferPage; }
  // The reader stopped at a page that had left the buffer's chain.
  bool cut() const { return cut_; }
  // The first page of an entry whose parts are not all read yet, or InvalidBlockNumber.
  BlockNumber pending_start() const { return pending_parts_ > 0 && !blocks_.empty() ? blocks_.front() : InvalidBlockNumber; }

  // Reads the next page; calls f(const EntryHeader& h, const uint8* payload, const std::vector<BlockNumber>&
  // blocks) for each entry completed on it (blocks: the pages its parts are on), then page_done() while
  // the page is still locked (payload pointers stay valid until then). False at the chain's end.
  template <class F>
  bool next_page(F&& f) {
    return next_page(std::forward<F>(f), [] {});
  }

  template <class F, class G>
  bool next_page(F&& f, G&& page_done) {
    return visit_page([&](Page page, BlockNumber block) {
      if (block_shape_.m > 0) {
        for_each_block(page, block, [&](const BlockHeader& header, const ItemPointerData* tids, const float*,
                                        const uint8*) {
          EntryHeader h{};
          h.parts = 1;
          for (size_t s = 0; s < header.used; ++s) {
            if (!ItemPointerIsValid(const_cast<ItemPointer>(&tids[s]))) continue;
            h.heap_tid = tids[s];
            if (blocks_.size() != 1 || blocks_[0] != block) blocks_.assign(1, block);
            f(h, nullptr, blocks_);
          }
        });
      } else {
        read_entries(page, block, f);
      }
      page_done();
    });
  }

  // Block lists: calls f(const BlockHeader& header, const ItemPointerData* tids, const float* terms
  // (null without terms), const uint8* codes) for each block of the next page, while it is locked.
  // header.used is at most kBlockSlots; slots with an invalid TID are free. False at the chain's end.
  template <class F>
  bool next_page_blocks(F&& f) {
    return visit_page([&](Page page, BlockNumber block) { for_each_block(page, block, f); });
  }

  BlockNumber next_block() const { return block_; }

  ChainReader(const ChainReader&) = delete;
  ChainReader& operator=(const ChainReader&) = delete;
  ~ChainReader() {
    if (ahead_ != InvalidBuffer) ReleaseBuffer(ahead_);  // cannot fail: the buffer is pinned
  }

 private:
  // Pins, locks and checks the next page, calls visit(page, block), then unlocks it.
  template <class V>
  bool visit_page(V&& visit) {
    if (block_ == InvalidBlockNumber) return false;
    Buffer buffer = InvalidBuffer;
    const BlockNumber block = block_;
    Buffer pinned = ahead_;
    ahead_ = InvalidBuffer;
    call_postgres([&] {
      if (pinned != InvalidBuffer && BufferGetBlockNumber(pinned) != block) {
        ReleaseBuffer(pinned);
        pinned = InvalidBuffer;
      }
      buffer = pinned != InvalidBuffer ? pinned : pin(block);
      LockBuffer(buffer, BUFFER_LOCK_SHARE);
    });
    Page page = BufferGetPage(buffer);
    const PageOpaque* opaque = page_opaque(page);
    if (opaque->page_type != expect_ || opaque->page_id != kPageId) {
      call_postgres([&] { UnlockReleaseBuffer(buffer); });
      if (expect_ == kBufferPage && opaque->page_id == kPageId &&
          (opaque->page_type == kFreePage || opaque->page_type == kListPage)) {
        cut_ = true;
        block_ = InvalidBlockNumber;
        pending_parts_ = 0;
        return false;
      }
      throw Error(ErrorKind::kIndexCorrupted,
                  std::string("ivf index \"") + RelationGetRelationName(index_) + "\" has a list chain through page " +
                      std::to_string(block) + ", which is not a " +
                      (expect_ == kBufferPage ? "buffer" : "list") + " page",
                  "", "REINDEX the index.");
    }
    block_ = opaque->next;
    // Pages are rarely in the CPU cache: the next page is pinned now and all its cache lines requested,
    // so their memory latency overlaps this page's work.
    if (read_ahead_ && !warmed_) prefetch_page(page);  // this page first: it is needed first
    warmed_ = true;
    if (read_ahead_ && block_ != InvalidBlockNumber) {
      const BlockNumber next = block_;
      Buffer ahead = InvalidBuffer;
      call_postgres([&] { ahead = pin(next); });
      ahead_ = ahead;
      prefetch_page(BufferGetPage(ahead));
    }
    try {
      visit(page, block);
    } catch (...) {
      call_postgres([&] { UnlockReleaseBuffer(buffer); });
      throw;
    }
    call_postgres([&] { UnlockReleaseBuffer(buffer); });
    return true;
  }

  // Plain glue.
  Buffer pin(BlockNumber block) {
    if (recent_ != nullptr) return recent_->pin(index_, block, strategy_);
    return ReadBufferExtended(index_, MAIN_FORKNUM, block, RBM_NORMAL, strategy_);
  }

  template <class F>
  void for_each_block(Page page, BlockNumber block, F&& f) {
    const BlockShape& shape = block_shape_;
    const OffsetNumber max = PageGetMaxOffsetNumber(page);
    for (OffsetNumber off = FirstOffsetNumber; off <= max; ++off) {
      ItemId item = PageGetItemId(page, off);
      if (!ItemIdIsNormal(item)) continue;
      const char* data = static_cast<const char*>(PageGetItem(page, item));
      const BlockHeader* header = reinterpret_cast<const BlockHeader*>(data);
      if (ItemIdGetLength(item) < shape.size() || header->used > kBlockSlots)
        throw Error(ErrorKind::kIndexCorrupted,
                    std::string("ivf index \"") + RelationGetRelationName(index_) + "\" has a malformed block at (" +
                        std::to_string(block) + "," + std::to_string(off) + ")",
                    "", "REINDEX the index.");
      f(*header, reinterpret_cast<const ItemPointerData*>(data + shape.tids_at()),
        shape.terms ? reinterpret_cast<const float*>(data + shape.terms_at()) : nullptr,
        reinterpret_cast<const uint8*>(data + shape.codes_at()));
    }
  }

  template <class F>
  void read_entries(Page page, BlockNumber block, F& f) {
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
  }

  Relation index_;
  BlockNumber block_;
  size_t payload_size_;
  BufferAccessStrategy strategy_;
  EntryHeader pending_{};
  uint8 pending_parts_ = 0, pending_next_ = 0;
  std::vector<uint8> assembled_;
  std::vector<BlockNumber> blocks_;
  bool read_ahead_;
  BlockShape block_shape_;
  Buffer ahead_ = InvalidBuffer;  // the next page, pinned early (see next_page)
  bool warmed_ = false;           // the first page was prefetched (later ones were, as ahead_)
  PageType expect_ = kListPage;   // the type of the chain's pages
  RecentBuffers* recent_ = nullptr;
  bool cut_ = false;

  static void prefetch_page(const void* page) {
    for (size_t line = 0; line < BLCKSZ; line += 64) __builtin_prefetch(static_cast<const char*>(page) + line);
  }

 public:
  // Asks the CPU for the page that `recent` last saw hold `block` (no pin, no lock: only a hint, harmless
  // if the buffer holds another page by now). Scans call it for the next list's head.
  static void prefetch_hint(const RecentBuffers& recent, BlockNumber block) {
    const Buffer hint = recent.hint(block);
    if (hint != InvalidBuffer) prefetch_page(BufferGetBlock(hint));
  }
};

}  // namespace piramid::pg::ivf
