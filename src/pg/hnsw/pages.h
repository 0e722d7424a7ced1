// Page layout of an hnsw index (see README.md in this folder for the whole story).
//
//   block 0        meta page: parameters, entry point, quantizer location, insertion hints
//   node pages     node tuples: header, the node's code, its navigation code, then its neighbour lists,
//                  each with the navigation codes of the neighbours it names
//   chunk pages    chains of chunks holding byte strings too large or too rarely needed to sit in a
//                  node tuple: full-precision vectors for re-ranking, out-of-line codes, the quantizer
//
// Every page has the standard layout (line pointers, PageAddItem), so Generic WAL, checksums and
// pg_basebackup work unchanged, and PageOpaque in its special space.
#pragma once

#include "pg/postgres_headers.h"

extern "C" {
#include "storage/bufpage.h"
#include "storage/itemptr.h"
}

#include "piramid/hnsw/nav.h"

#include <cstdint>

namespace piramid::pg::hnsw {

constexpr uint32 kMagic = 0x50484e57;  // "PHNW"
constexpr uint32 kVersion = 2;  // 2: navigation codes in node tuples and lists
constexpr BlockNumber kMetaBlock = 0;
constexpr uint16 kPageId = 0xFF91;
constexpr int kFreeChunkSlots = 256;

enum PageType : uint16 { kMetaPage = 1, kNodePage = 2, kChunkPage = 3 };

struct PageOpaque {
  BlockNumber unused;
  uint16 page_type;
  uint16 page_id;  // kPageId, so tools can recognise piramid hnsw pages
};

// How node codes are made (fixed per index).
enum class CodeKind : uint8 {
  kSq8 = 1,     // 8-bit scalar quantization of dense vectors (+4 bytes for inner product)
  kFloat = 2,   // float32 vectors, exact (indexes built on tables too small to train a quantizer)
  kBits = 3,    // bit strings, exact
  kSparse = 4,  // sparse vectors, exact, variable length
};

struct MetaPage {
  uint32 magic;
  uint32 version;
  int32 dims;
  uint16 m;
  uint16 ef_construction;
  uint8 value_type;   // ValueType
  uint8 metric;       // Metric
  uint8 code_kind;    // CodeKind
  uint8 unused;
  uint32 code_size;   // bytes per code; 0 for variable-length (sparse) codes
  ItemPointerData entry;  // entry node; invalid while the index is empty
  int16 entry_level;
  uint16 unused2;
  float sq8_step;
  ItemPointerData quantizer;  // chunk chain of dims float offsets (kSq8 only)
  uint16 unused3;
  BlockNumber insert_block;  // node page to try first for new nodes
  BlockNumber chunk_block;   // chunk page to try first for new chunks
  uint64 inserted;           // nodes ever added (statistics)
  uint64 build_id;           // random, set by each build: identifies the codes' shape for caches
  uint64 deleted_pending;    // nodes marked deleted and not yet freed: a later vacuum has work even
                             // when no row died since (see README.md, "Vacuum")
  uint16 nav_subspaces;      // subspaces of the navigation codes; 0: the index has none
  uint16 nav_rotation_block;  // dims per block of the navigation codes' rotation; 0: not rotated
  // Chunk chain of nav_subspaces x 16 x dsub codebook floats, then the rotation's matrices (nav_rotation.h).
  ItemPointerData nav_codebooks;
  // Chunk pages on which vacuum freed space. The free space map holds node pages only (one map cannot
  // serve two page types: a node insert would keep being offered chunk pages), so chunk pages are listed
  // here for chunk writes to reuse.
  uint16 free_chunk_count;
  uint16 unused5;
  BlockNumber free_chunk_blocks[kFreeChunkSlots];
  // Live rows when a build or vacuum last made sure every node is reachable (README.md, "Vacuum"): a
  // vacuum with nothing to delete checks again once the table has grown by a fifth.
  uint64 checked_rows;
};

// Node tuple header; the tuple continues with the inline code (code_length bytes, padded to 4), the
// node's own navigation code (nav_subspaces / 2 bytes, padded to 4; absent without navigation codes),
// then the link lists of levels 0..level: level 0 holds up to 2m links, the others up to m; each list is
// a uint16 count and `capacity` ItemPointers to node tuples (padded to 4), then the navigation codes of
// the linked nodes in blocks of 32 (piramid/hnsw/nav.h), entry i of the block matching link i.
struct NodeHeader {
  uint8 level;
  uint8 flags;
  uint16 code_length;         // bytes of the code (inline, or at the start of the chain at `chain`)
  ItemPointerData heap_tid;   // the indexed heap row
  ItemPointerData chain;      // chunk chain: out-of-line code and/or full vector; invalid when none
};
static_assert(sizeof(NodeHeader) == 16, "node header is 16 bytes");

// A deleted node keeps its chain (so vacuum can free it) but its heap_tid is replaced by the
// transaction counter at deletion time: once no running transaction is that old, no insert can still be
// about to link to the node, and its slot can be freed (see README.md, "Vacuum").
inline TransactionId deleted_xid(const NodeHeader* h) {
  TransactionId xid;
  memcpy(&xid, &h->heap_tid, sizeof xid);
  return xid;
}
inline void set_deleted_xid(NodeHeader* h, TransactionId xid) { memcpy(&h->heap_tid, &xid, sizeof xid); }

enum NodeFlags : uint8 {
  kNodeDeleted = 0x01,      // the heap row is gone; kept for navigation until vacuum unlinks it
  kNodeExactCode = 0x02,    // the code reproduces the vector exactly: no full vector is stored
  kNodeCodeInChain = 0x04,  // the code is the first code_length bytes of the chain, not inline
};

// A chunk of a byte string stored across pages.
struct ChunkHeader {
  ItemPointerData next;  // next chunk; invalid for the last
  uint16 length;         // data bytes in this chunk
};
static_assert(sizeof(ChunkHeader) == 8, "chunk header is 8 bytes");

inline PageOpaque* page_opaque(Page page) { return reinterpret_cast<PageOpaque*>(PageGetSpecialPointer(page)); }
inline MetaPage* meta_of(Page page) { return reinterpret_cast<MetaPage*>(PageGetContents(page)); }

// Largest tuple that fits an empty node or chunk page.
constexpr Size kMaxTupleSize =
    BLCKSZ - MAXALIGN(SizeOfPageHeaderData + sizeof(ItemIdData)) - MAXALIGN(sizeof(PageOpaque));

// Byte positions inside a node tuple, given its level, m, the navigation subspaces and the inline code
// length.
struct NodeLayout {
  int m;
  int nav_subspaces = 0;
  static constexpr size_t kListHeader = sizeof(uint16);

  static size_t round4(size_t n) { return (n + 3) & ~size_t(3); }
  static size_t code_bytes(size_t inline_code) { return round4(inline_code); }
  size_t nav_code_bytes() const { return piramid::hnsw::nav_code_bytes(static_cast<size_t>(nav_subspaces)); }
  size_t capacity(int level) const { return level == 0 ? 2 * static_cast<size_t>(m) : static_cast<size_t>(m); }
  size_t tid_bytes(int level) const { return round4(kListHeader + capacity(level) * sizeof(ItemPointerData)); }
  size_t nav_bytes(int level) const {
    return nav_subspaces == 0 ? 0
                              : piramid::hnsw::nav_blocks(capacity(level)) *
                                    piramid::hnsw::nav_block_bytes(static_cast<size_t>(nav_subspaces));
  }
  size_t list_bytes(int level) const { return tid_bytes(level) + nav_bytes(level); }
  size_t nav_code_offset(size_t inline_code) const { return sizeof(NodeHeader) + code_bytes(inline_code); }
  size_t links_offset(size_t inline_code) const { return nav_code_offset(inline_code) + round4(nav_code_bytes()); }
  size_t list_offset(size_t inline_code, int level) const {
    return links_offset(inline_code) + (level == 0 ? 0 : list_bytes(0) + (level - 1) * list_bytes(1));
  }
  size_t tuple_size(size_t inline_code, int level) const { return list_offset(inline_code, level) + list_bytes(level); }
};

// Accessors over a node tuple in a page (or a copy).
struct NodeView {
  char* base;
  NodeLayout layout;

  NodeHeader* header() const { return reinterpret_cast<NodeHeader*>(base); }
  size_t inline_code_length() const {
    return (header()->flags & kNodeCodeInChain) ? 0 : header()->code_length;
  }
  uint8* code() const { return reinterpret_cast<uint8*>(base + sizeof(NodeHeader)); }
  // The node's own navigation code (layout.nav_code_bytes() bytes).
  uint8* nav_code() const { return reinterpret_cast<uint8*>(base + layout.nav_code_offset(inline_code_length())); }
  uint16* count(int level) const {
    return reinterpret_cast<uint16*>(base + layout.list_offset(inline_code_length(), level));
  }
  ItemPointerData* links(int level) const {
    return reinterpret_cast<ItemPointerData*>(base + layout.list_offset(inline_code_length(), level) +
                                              NodeLayout::kListHeader);
  }
  // The blocks of navigation codes of the level's links.
  uint8* nav_blocks(int level) const {
    return reinterpret_cast<uint8*>(base + layout.list_offset(inline_code_length(), level) + layout.tid_bytes(level));
  }
};

inline uint64 tid_key(const ItemPointerData& tid) {
  return (uint64(ItemPointerGetBlockNumberNoCheck(&tid)) << 16) | ItemPointerGetOffsetNumberNoCheck(&tid);
}
inline ItemPointerData tid_from_key(uint64 key) {
  ItemPointerData tid;
  ItemPointerSet(&tid, static_cast<BlockNumber>(key >> 16), static_cast<OffsetNumber>(key & 0xffff));
  return tid;
}

}  // namespace piramid::pg::hnsw
