#include "pg/hnsw/links.h"

#include "pg/guard.h"
#include "piramid/compute/pq4.h"

extern "C" {
#include "access/generic_xlog.h"
#include "storage/bufmgr.h"
}

#include <algorithm>

namespace piramid::pg::hnsw {
namespace {

// The node tuple at `at` in a locked page, or nullptr.
char* node_in_page(Page page, ItemPointerData at) {
  const OffsetNumber offset = ItemPointerGetOffsetNumber(&at);
  if (page_opaque(page)->page_type != kNodePage || offset < FirstOffsetNumber || offset > PageGetMaxOffsetNumber(page) ||
      !ItemIdIsNormal(PageGetItemId(page, offset)))
    return nullptr;
  return static_cast<char*>(PageGetItem(page, PageGetItemId(page, offset)));
}

}  // namespace

void copy_list_out(const NodeView& view, int level, LinkList* out) {
  const size_t count = std::min<size_t>(*view.count(level), view.layout.capacity(level));
  const size_t code_bytes = view.layout.nav_code_bytes();
  const size_t m = static_cast<size_t>(view.layout.nav_subspaces);
  out->tids.assign(view.links(level), view.links(level) + count);
  out->nav.resize(count * code_bytes);
  const uint8* blocks = view.nav_blocks(level);
  if (code_bytes == 0) return;
  uint8* codes[piramid::kPq4BlockEntries];
  for (size_t first = 0; first < count; first += piramid::kPq4BlockEntries) {
    const size_t n = std::min(count - first, piramid::kPq4BlockEntries);
    for (size_t i = 0; i < n; ++i) codes[i] = &out->nav[(first + i) * code_bytes];
    piramid::pq4_unpack_block(blocks + (first / piramid::kPq4BlockEntries) * piramid::pq4_block_bytes(m), m, n, codes);
  }
}

void copy_list_in(const NodeView& view, int level, const LinkList& list) {
  const size_t count = std::min(list.tids.size(), view.layout.capacity(level));
  const size_t code_bytes = view.layout.nav_code_bytes();
  const size_t m = static_cast<size_t>(view.layout.nav_subspaces);
  *view.count(level) = static_cast<uint16>(count);
  memcpy(view.links(level), list.tids.data(), count * sizeof(ItemPointerData));
  uint8* blocks = view.nav_blocks(level);
  memset(blocks, 0, view.layout.nav_bytes(level));
  if (code_bytes == 0) return;
  const uint8* codes[piramid::kPq4BlockEntries];
  for (size_t first = 0; first < count; first += piramid::kPq4BlockEntries) {
    const size_t n = std::min(count - first, piramid::kPq4BlockEntries);
    for (size_t i = 0; i < n; ++i) codes[i] = &list.nav[(first + i) * code_bytes];
    piramid::pq4_pack_block(codes, n, m, blocks + (first / piramid::kPq4BlockEntries) * piramid::pq4_block_bytes(m));
  }
}

bool read_links(Relation index, const IndexShape& shape, ItemPointerData at, int level, LinkList* out) {
  bool ok = false;
  // Sized before the lock: copy_list_out then only writes into this memory.
  out->tids.reserve(shape.layout.capacity(level));
  out->nav.reserve(shape.layout.capacity(level) * shape.layout.nav_code_bytes());
  call_postgres([&] {
    Buffer buffer = ReadBuffer(index, ItemPointerGetBlockNumber(&at));
    LockBuffer(buffer, BUFFER_LOCK_SHARE);
    if (char* node = node_in_page(BufferGetPage(buffer), at)) {
      NodeView view{node, shape.layout};
      if (level <= view.header()->level) {
        copy_list_out(view, level, out);
        ok = true;
      }
    }
    UnlockReleaseBuffer(buffer);
  });
  if (!ok) out->clear();
  return ok;
}

bool write_links(Relation index, const IndexShape& shape, ItemPointerData at, int level,
                 const std::vector<ItemPointerData>& expected, const LinkList& replacement) {
  bool written = false;
  const ItemPointerData* want = expected.data();
  const size_t want_count = expected.size();
  call_postgres([&] {
    Buffer buffer = ReadBuffer(index, ItemPointerGetBlockNumber(&at));
    LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
    GenericXLogState* state = GenericXLogStart(index);
    Page page = GenericXLogRegisterBuffer(state, buffer, 0);
    if (char* node = node_in_page(page, at)) {
      NodeView view{node, shape.layout};
      if (level <= view.header()->level && *view.count(level) == want_count &&
          memcmp(view.links(level), want, want_count * sizeof(ItemPointerData)) == 0) {
        copy_list_in(view, level, replacement);
        written = true;
      }
    }
    if (written) GenericXLogFinish(state);
    else GenericXLogAbort(state);
    UnlockReleaseBuffer(buffer);
  });
  return written;
}

}  // namespace piramid::pg::hnsw
