// Page layout of an ivf index (README.md in this folder tells the whole story).
//
//   block 0          meta page: shape, codec, training state, where everything else starts
//   blob pages       chains of pages each holding one item: byte strings larger than a page (centroids,
//                    the SQ8 quantizer, PQ codebooks), written once when the index is trained
//   directory pages  chain of pages holding, per list, the first page of its chain and a page to try
//                    first for inserts
//   list pages       chains of list entries, one chain per list; lists of 4-bit PQ indexes hold blocks
//                    of 32 entries instead
//   buffer pages     the untrained buffer's chain of entries (head at block 1, in the meta page)
//   free pages       pages a move from the buffer into lists emptied, chained from the meta page until
//                    a chain that grows takes them
//
// Every page has the standard layout (line pointers, PageAddItem), so Generic WAL, checksums and
// pg_basebackup work unchanged; PageOpaque sits in the special space.
#pragma once

#include "pg/postgres_headers.h"
#include "piramid/metric.h"

extern "C" {
#include "storage/bufpage.h"
#include "storage/itemptr.h"
}

#include <cstdint>

namespace piramid::pg::ivf {

constexpr uint32 kMagic = 0x50495646;  // "PIVF"
constexpr uint32 kVersion = 1;
constexpr BlockNumber kMetaBlock = 0;
constexpr uint16 kPageId = 0xFF92;

enum PageType : uint16 {
  kMetaPage = 1,
  kBlobPage = 2,
  kDirectoryPage = 3,
  kListPage = 4,
  kBufferPage = 5,
  kFreePage = 6
};

// How list pages hold entries: one item per entry (EntryHeader + payload), or blocks of up to 32
// entries (BlockHeader, see below) for PQ codes of 4 bits whose subvector count the fast scan takes.
enum ListLayout : uint8 { kEntryLists = 0, kBlockLists = 1 };

struct PageOpaque {
  BlockNumber next;  // next page of the same chain, or InvalidBlockNumber
  uint16 page_type;
  uint16 page_id;  // kPageId, so tools can recognise piramid ivf pages
};

struct MetaPage {
  uint32 magic;
  uint32 version;
  int32 dims;
  int32 lists;          // the lists option
  int32 trained_lists;  // lists that exist; 0 while the index is untrained
  uint8 value_type;     // ValueType
  uint8 metric;         // Metric
  uint8 codec;          // Codec
  uint8 list_layout;    // ListLayout of the lists (the untrained buffer always holds entries)
  uint32 code_size;     // bytes of an entry's payload in a list (codes, or the flat value)
  uint32 flat_size;     // bytes of an entry's payload in the untrained buffer (always the flat value)
  int32 pq_m;           // PQ subvectors (kPq)
  int32 pq_bits;        // PQ bits per sub-code (kPq)
  float sq8_step;       // SQ8 step (kSq8)
  BlockNumber centroids;  // blob: trained_lists x dims float32
  BlockNumber codec_blob; // blob: SQ8 offsets (dims floats) or PQ codebooks
  BlockNumber directory;  // first directory page
  BlockNumber buffer_head;    // first page of the untrained buffer's chain (always exists)
  BlockNumber buffer_insert;  // buffer page to try first for inserts
  uint64 build_id;      // random, set whenever centroids change: keys the per-backend centroid cache
  BlockNumber free_head;  // first page of the free list (0 or InvalidBlockNumber: none)
  uint32 free_pages;      // pages on the free list
};

inline bool has_free_pages(const MetaPage& meta) {
  return meta.free_head != 0 && meta.free_head != InvalidBlockNumber;
}

// One list in a directory page. Directory pages hold one item: an array of these.
struct ListEntry {
  BlockNumber head;    // first page of the list's chain (never changes once written)
  BlockNumber insert;  // page to try first for inserts (a hint: inserts follow `next` from it)
};

// The header of every list entry tuple; `payload` bytes follow. A payload larger than one page is cut
// into `parts` consecutive pieces, each on its own page, in chain order (see README.md, "Large values").
struct EntryHeader {
  ItemPointerData heap_tid;
  uint8 part;   // 0 .. parts - 1
  uint8 parts;  // 1 for entries that fit one page
};
static_assert(sizeof(EntryHeader) == 8, "entry header is 8 bytes");

// A block item: BlockHeader, then 32 heap TIDs, then (L2 only) 32 floats, each entry's |r|^2 + 2 c.r
// (see codec.h), then the 32 codes regrouped as pq4.h lays out a block (m rows of 16 bytes), so a scan
// runs the fast-scan kernel on the page directly. Slots below `used` whose TID is invalid were freed by
// vacuum and are reused by inserts; slots from `used` up are empty.
struct BlockHeader {
  uint16 used;  // slots handed out so far, 0..kBlockSlots
  uint16 unused;
};
constexpr size_t kBlockSlots = 32;

// Where the parts of a block item are, for m subvectors. m == 0: the lists hold entries, not blocks.
struct BlockShape {
  size_t m = 0;
  bool terms = false;
  size_t tids_at() const { return sizeof(BlockHeader); }
  size_t terms_at() const { return tids_at() + kBlockSlots * sizeof(ItemPointerData); }
  size_t codes_at() const { return terms_at() + (terms ? kBlockSlots * sizeof(float) : 0); }
  size_t size() const { return codes_at() + m * 16; }
  size_t code_bytes() const { return m / 2; }
};

// The largest item the pages take, and the payload bytes one part of an entry carries.
constexpr size_t kMaxItemSize =
    MAXALIGN_DOWN(BLCKSZ - MAXALIGN(SizeOfPageHeaderData + sizeof(ItemIdData)) - MAXALIGN(sizeof(PageOpaque)));
constexpr size_t kPartPayload = kMaxItemSize - sizeof(EntryHeader);
constexpr size_t kBlobPayload = kMaxItemSize;
constexpr size_t kDirectoryPerPage = kMaxItemSize / sizeof(ListEntry);

inline PageOpaque* page_opaque(Page page) { return reinterpret_cast<PageOpaque*>(PageGetSpecialPointer(page)); }
inline MetaPage* meta_of(Page page) { return reinterpret_cast<MetaPage*>(PageGetContents(page)); }

// The block shape of an index's lists (m == 0 for entry lists).
inline BlockShape block_shape(const MetaPage& meta) {
  BlockShape shape;
  if (meta.list_layout == kBlockLists) {
    shape.m = static_cast<size_t>(meta.pq_m);
    shape.terms = static_cast<Metric>(meta.metric) == Metric::kL2;
  }
  return shape;
}

inline size_t entry_parts(size_t payload) { return payload <= kPartPayload ? 1 : (payload + kPartPayload - 1) / kPartPayload; }

}  // namespace piramid::pg::ivf
