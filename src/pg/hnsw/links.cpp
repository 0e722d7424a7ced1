#include "pg/hnsw/links.h"

#include "pg/guard.h"

extern "C" {
#include "access/generic_xlog.h"
#include "storage/bufmgr.h"
}

#include <algorithm>

namespace piramid::pg::hnsw {

bool read_links(Relation index, const IndexShape& shape, ItemPointerData at, int level, std::vector<ItemPointerData>* out) {
  bool ok = false;
  out->resize(shape.layout.capacity(level));
  ItemPointerData* dst = out->data();
  size_t count = 0;
  call_postgres([&] {
    Buffer buffer = ReadBuffer(index, ItemPointerGetBlockNumber(&at));
    LockBuffer(buffer, BUFFER_LOCK_SHARE);
    Page page = BufferGetPage(buffer);
    const OffsetNumber offset = ItemPointerGetOffsetNumber(&at);
    if (page_opaque(page)->page_type == kNodePage && offset <= PageGetMaxOffsetNumber(page) &&
        ItemIdIsNormal(PageGetItemId(page, offset))) {
      NodeView view{static_cast<char*>(PageGetItem(page, PageGetItemId(page, offset))), shape.layout};
      if (level <= view.header()->level) {
        count = std::min<size_t>(*view.count(level), shape.layout.capacity(level));
        memcpy(dst, view.links(level), count * sizeof(ItemPointerData));
        ok = true;
      }
    }
    UnlockReleaseBuffer(buffer);
  });
  out->resize(count);
  return ok;
}

bool write_links(Relation index, const IndexShape& shape, ItemPointerData at, int level,
                 const std::vector<ItemPointerData>& expected, const std::vector<ItemPointerData>& replacement) {
  bool written = false;
  const ItemPointerData* want = expected.data();
  const size_t want_count = expected.size();
  const ItemPointerData* next = replacement.data();
  const size_t next_count = std::min(replacement.size(), shape.layout.capacity(level));
  call_postgres([&] {
    Buffer buffer = ReadBuffer(index, ItemPointerGetBlockNumber(&at));
    LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
    GenericXLogState* state = GenericXLogStart(index);
    Page page = GenericXLogRegisterBuffer(state, buffer, 0);
    const OffsetNumber offset = ItemPointerGetOffsetNumber(&at);
    if (page_opaque(page)->page_type == kNodePage && offset <= PageGetMaxOffsetNumber(page) &&
        ItemIdIsNormal(PageGetItemId(page, offset))) {
      NodeView view{static_cast<char*>(PageGetItem(page, PageGetItemId(page, offset))), shape.layout};
      if (level <= view.header()->level && *view.count(level) == want_count &&
          memcmp(view.links(level), want, want_count * sizeof(ItemPointerData)) == 0) {
        memcpy(view.links(level), next, next_count * sizeof(ItemPointerData));
        *view.count(level) = static_cast<uint16>(next_count);
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
