#include "pg/ivf/page_ops.h"

#include "piramid/compute/pq4.h"

extern "C" {
#include "access/generic_xlog.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
}

#include <algorithm>

namespace piramid::pg::ivf {

void init_page(Page page, PageType type) {
  PageInit(page, BLCKSZ, sizeof(PageOpaque));
  PageOpaque* opaque = page_opaque(page);
  opaque->next = InvalidBlockNumber;
  opaque->page_type = type;
  opaque->page_id = kPageId;
}

Buffer lock_meta(Relation index, int mode) {
  Buffer buffer = ReadBuffer(index, kMetaBlock);
  LockBuffer(buffer, mode);
  const MetaPage* meta = meta_of(BufferGetPage(buffer));
  if (meta->magic != kMagic || meta->version != kVersion)
    ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),
                    errmsg("\"%s\" is not a valid piramid ivf index", RelationGetRelationName(index)),
                    errdetail("The meta page has magic %08x version %u.", meta->magic, meta->version),
                    errhint("REINDEX the index.")));
  return buffer;
}

MetaPage read_meta(Relation index) {
  Buffer buffer = lock_meta(index, BUFFER_LOCK_SHARE);
  const MetaPage meta = *meta_of(BufferGetPage(buffer));
  UnlockReleaseBuffer(buffer);
  return meta;
}

namespace {

// Sets pd_lower past the meta data: full-page images drop the "hole" between pd_lower and pd_upper.
void set_meta_lower(Page page) {
  reinterpret_cast<PageHeader>(page)->pd_lower = static_cast<LocationIndex>(
      reinterpret_cast<char*>(meta_of(page)) + sizeof(MetaPage) - reinterpret_cast<char*>(page));
}

// A new, exclusively locked page at the end of the relation; initialised in `*page`, which is the
// buffer's page (unlogged) or a Generic WAL image registered in *state (logged, one record per call).
Buffer extend(Relation index, PageType type, bool logged, GenericXLogState** state, Page* page) {
  LockRelationForExtension(index, ExclusiveLock);
  Buffer buffer = ReadBufferExtended(index, MAIN_FORKNUM, P_NEW, RBM_NORMAL, nullptr);
  LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
  UnlockRelationForExtension(index, ExclusiveLock);
  if (logged) {
    *state = GenericXLogStart(index);
    *page = GenericXLogRegisterBuffer(*state, buffer, GENERIC_XLOG_FULL_IMAGE);
  } else {
    *state = nullptr;
    *page = BufferGetPage(buffer);
  }
  init_page(*page, type);
  return buffer;
}

void finish(GenericXLogState* state, Buffer buffer) {
  if (state != nullptr) {
    GenericXLogFinish(state);
  } else {
    MarkBufferDirty(buffer);
  }
}

void add_item(Relation index, Page page, const void* item, Size size) {
  if (PageAddItem(page, static_cast<Item>(const_cast<void*>(item)), size, InvalidOffsetNumber, false, false) ==
      InvalidOffsetNumber)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                    errmsg("failed to add a %zu-byte item to ivf index \"%s\"", size, RelationGetRelationName(index))));
}

// A new list page holding `item`, linked from the exclusively locked last page of a chain (`last`, which
// is unlocked and released); one record covers both, so the link and the new page's contents appear
// together. Returns the new page's buffer, exclusively locked.
Buffer append_linked_page(Relation index, Buffer last, const void* item, Size size, bool logged) {
  GenericXLogState* state = nullptr;
  Page fresh;
  Buffer new_buffer = extend(index, kListPage, logged, &state, &fresh);
  Page current = logged ? GenericXLogRegisterBuffer(state, last, 0) : BufferGetPage(last);
  page_opaque(current)->next = BufferGetBlockNumber(new_buffer);
  add_item(index, fresh, item, size);
  if (logged) {
    GenericXLogFinish(state);
  } else {
    MarkBufferDirty(last);
    MarkBufferDirty(new_buffer);
  }
  UnlockReleaseBuffer(last);
  return new_buffer;
}

}  // namespace

void write_new_meta(Relation index, ForkNumber fork, const MetaPage& meta, bool log) {
  Buffer buffer = ReadBufferExtended(index, fork, P_NEW, RBM_NORMAL, nullptr);
  if (BufferGetBlockNumber(buffer) != kMetaBlock)
    elog(ERROR, "ivf meta page must be block 0, got %u", BufferGetBlockNumber(buffer));
  LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
  Page page = BufferGetPage(buffer);
  init_page(page, kMetaPage);
  *meta_of(page) = meta;
  set_meta_lower(page);
  MarkBufferDirty(buffer);
  if (log) log_newpage_buffer(buffer, true);
  UnlockReleaseBuffer(buffer);
}

void overwrite_meta(Relation index, const MetaPage& meta, bool logged) {
  Buffer buffer = lock_meta(index, BUFFER_LOCK_EXCLUSIVE);
  GenericXLogState* state = logged ? GenericXLogStart(index) : nullptr;
  Page page = logged ? GenericXLogRegisterBuffer(state, buffer, 0) : BufferGetPage(buffer);
  *meta_of(page) = meta;
  set_meta_lower(page);
  finish(state, buffer);
  UnlockReleaseBuffer(buffer);
}

BlockNumber write_blob(Relation index, PageType type, const void* data, size_t length, bool logged) {
  // Written last piece first, so each page can point at the one after it when it is written.
  const size_t pieces = length == 0 ? 1 : (length + kBlobPayload - 1) / kBlobPayload;
  BlockNumber next = InvalidBlockNumber;
  for (size_t i = pieces; i-- > 0;) {
    const size_t begin = i * kBlobPayload, take = std::min(length - begin, kBlobPayload);
    GenericXLogState* state;
    Page page;
    Buffer buffer = extend(index, type, logged, &state, &page);
    page_opaque(page)->next = next;
    if (take > 0) add_item(index, page, static_cast<const char*>(data) + begin, take);
    finish(state, buffer);
    next = BufferGetBlockNumber(buffer);
    UnlockReleaseBuffer(buffer);
  }
  return next;
}

bool read_blob(Relation index, BlockNumber first, void* dst, size_t length) {
  size_t done = 0;
  BlockNumber block = first;
  while (done < length && block != InvalidBlockNumber) {
    Buffer buffer = ReadBuffer(index, block);
    LockBuffer(buffer, BUFFER_LOCK_SHARE);
    Page page = BufferGetPage(buffer);
    if (PageGetMaxOffsetNumber(page) >= FirstOffsetNumber) {
      ItemId item = PageGetItemId(page, FirstOffsetNumber);
      const size_t take = std::min<size_t>(ItemIdGetLength(item), length - done);
      memcpy(static_cast<char*>(dst) + done, PageGetItem(page, item), take);
      done += take;
    }
    block = page_opaque(page)->next;
    UnlockReleaseBuffer(buffer);
  }
  return done == length;
}

namespace {

// The directory page holding list `list` and the entry's index in its item.
BlockNumber directory_page_of(Relation index, BlockNumber directory, int32 list) {
  BlockNumber block = directory;
  for (int32 skip = list / static_cast<int32>(kDirectoryPerPage); skip > 0; --skip) {
    Buffer buffer = ReadBuffer(index, block);
    LockBuffer(buffer, BUFFER_LOCK_SHARE);
    block = page_opaque(BufferGetPage(buffer))->next;
    UnlockReleaseBuffer(buffer);
    if (block == InvalidBlockNumber)
      ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),
                      errmsg("ivf index \"%s\" has no directory entry for list %d", RelationGetRelationName(index), list),
                      errhint("REINDEX the index.")));
  }
  return block;
}

ListEntry* entry_in(Page page, int32 list) {
  ItemId item = PageGetItemId(page, FirstOffsetNumber);
  return reinterpret_cast<ListEntry*>(PageGetItem(page, item)) + list % static_cast<int32>(kDirectoryPerPage);
}

}  // namespace

ListEntry read_list_entry(Relation index, BlockNumber directory, int32 list) {
  Buffer buffer = ReadBuffer(index, directory_page_of(index, directory, list));
  LockBuffer(buffer, BUFFER_LOCK_SHARE);
  const ListEntry entry = *entry_in(BufferGetPage(buffer), list);
  UnlockReleaseBuffer(buffer);
  return entry;
}

void set_insert_hint(Relation index, BlockNumber directory, int32 list, BlockNumber block) {
  if (list < 0) {
    Buffer buffer = lock_meta(index, BUFFER_LOCK_EXCLUSIVE);
    GenericXLogState* state = GenericXLogStart(index);
    meta_of(GenericXLogRegisterBuffer(state, buffer, 0))->buffer_insert = block;
    GenericXLogFinish(state);
    UnlockReleaseBuffer(buffer);
    return;
  }
  Buffer buffer = ReadBuffer(index, directory_page_of(index, directory, list));
  LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
  GenericXLogState* state = GenericXLogStart(index);
  entry_in(GenericXLogRegisterBuffer(state, buffer, 0), list)->insert = block;
  GenericXLogFinish(state);
  UnlockReleaseBuffer(buffer);
}

BlockNumber new_list_page(Relation index, bool logged) {
  GenericXLogState* state;
  Page page;
  Buffer buffer = extend(index, kListPage, logged, &state, &page);
  finish(state, buffer);
  const BlockNumber block = BufferGetBlockNumber(buffer);
  UnlockReleaseBuffer(buffer);
  return block;
}

BlockNumber append_entry(Relation index, BlockNumber hint, ItemPointerData heap_tid, const void* payload,
                         size_t length, bool logged, char* scratch) {
  const size_t parts = entry_parts(length);
  const size_t first_size = sizeof(EntryHeader) + std::min(length, kPartPayload);
  Buffer buffer = ReadBuffer(index, hint);
  LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
  // Walk to a page with room (single-part entries) or to the end of the chain (multi-part entries). The
  // lock on a page is held while its successor is created, so one inserter extends a chain at a time.
  for (;;) {
    Page page = BufferGetPage(buffer);
    if (page_opaque(page)->page_type != kListPage)
      ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),
                      errmsg("ivf index \"%s\" has a list chain through a non-list page %u", RelationGetRelationName(index),
                             BufferGetBlockNumber(buffer)),
                      errhint("REINDEX the index.")));
    if (parts == 1 && PageGetFreeSpace(page) >= MAXALIGN(first_size)) break;
    const BlockNumber next = page_opaque(page)->next;
    if (next == InvalidBlockNumber) break;
    UnlockReleaseBuffer(buffer);
    buffer = ReadBuffer(index, next);
    LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
  }
  EntryHeader* header = reinterpret_cast<EntryHeader*>(scratch);
  header->heap_tid = heap_tid;
  header->parts = static_cast<uint8>(parts);
  for (size_t part = 0; part < parts; ++part) {
    const size_t begin = part * kPartPayload, take = std::min(length - begin, kPartPayload);
    header->part = static_cast<uint8>(part);
    memcpy(scratch + sizeof(EntryHeader), static_cast<const char*>(payload) + begin, take);
    const Size size = sizeof(EntryHeader) + take;
    Page page = BufferGetPage(buffer);
    if (parts == 1 && PageGetFreeSpace(page) >= MAXALIGN(size)) {
      // Room on the current page: one record for one page.
      GenericXLogState* state = logged ? GenericXLogStart(index) : nullptr;
      Page target = logged ? GenericXLogRegisterBuffer(state, buffer, 0) : page;
      add_item(index, target, scratch, size);
      finish(state, buffer);
      continue;
    }
    buffer = append_linked_page(index, buffer, scratch, size, logged);
  }
  const BlockNumber last = BufferGetBlockNumber(buffer);
  UnlockReleaseBuffer(buffer);
  return last;
}

namespace {

void check_list_page(Relation index, Buffer buffer) {
  if (page_opaque(BufferGetPage(buffer))->page_type != kListPage)
    ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),
                    errmsg("ivf index \"%s\" has a list chain through a non-list page %u", RelationGetRelationName(index),
                           BufferGetBlockNumber(buffer)),
                    errhint("REINDEX the index.")));
}

void init_block(char* block, const BlockShape& shape) {
  memset(block, 0, shape.size());
  ItemPointerData* tids = reinterpret_cast<ItemPointerData*>(block + shape.tids_at());
  for (size_t s = 0; s < kBlockSlots; ++s) ItemPointerSetInvalid(&tids[s]);
}

void put_slot(char* block, const BlockShape& shape, size_t slot, ItemPointerData heap_tid, const uint8* payload) {
  BlockHeader* header = reinterpret_cast<BlockHeader*>(block);
  reinterpret_cast<ItemPointerData*>(block + shape.tids_at())[slot] = heap_tid;
  if (shape.terms) memcpy(block + shape.terms_at() + slot * sizeof(float), payload + shape.code_bytes(), sizeof(float));
  pq4_block_put(reinterpret_cast<uint8_t*>(block + shape.codes_at()), shape.m, slot, payload);
  if (slot >= header->used) header->used = static_cast<uint16>(slot + 1);
}

}  // namespace

bool find_free_slot(Page page, const BlockShape& shape, OffsetNumber* offset, size_t* slot) {
  const OffsetNumber max = PageGetMaxOffsetNumber(page);
  for (OffsetNumber off = FirstOffsetNumber; off <= max; ++off) {
    ItemId item = PageGetItemId(page, off);
    if (!ItemIdIsNormal(item) || ItemIdGetLength(item) < shape.size()) continue;
    const char* block = static_cast<const char*>(PageGetItem(page, item));
    const BlockHeader* header = reinterpret_cast<const BlockHeader*>(block);
    const ItemPointerData* tids = reinterpret_cast<const ItemPointerData*>(block + shape.tids_at());
    const size_t used = std::min<size_t>(header->used, kBlockSlots);
    for (size_t s = 0; s < used; ++s) {
      if (!ItemPointerIsValid(&tids[s])) {
        *offset = off;
        *slot = s;
        return true;
      }
    }
    if (used < kBlockSlots) {
      *offset = off;
      *slot = used;
      return true;
    }
  }
  return false;
}

BlockNumber append_block_entry(Relation index, const BlockShape& shape, BlockNumber hint, ItemPointerData heap_tid,
                               const uint8* payload, bool logged, char* scratch) {
  const Size block_size = shape.size();
  Buffer buffer = ReadBuffer(index, hint);
  LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
  OffsetNumber offset = InvalidOffsetNumber;
  size_t slot = 0;
  // Walk to a page with a free slot or room for a new block; the lock on the last page is held while
  // its successor is created, so one inserter extends a chain at a time.
  for (;;) {
    check_list_page(index, buffer);
    Page page = BufferGetPage(buffer);
    if (find_free_slot(page, shape, &offset, &slot) || PageGetFreeSpace(page) >= MAXALIGN(block_size)) break;
    const BlockNumber next = page_opaque(page)->next;
    if (next == InvalidBlockNumber) break;
    UnlockReleaseBuffer(buffer);
    buffer = ReadBuffer(index, next);
    LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
  }
  Page page = BufferGetPage(buffer);
  if (offset != InvalidOffsetNumber || PageGetFreeSpace(page) >= MAXALIGN(block_size)) {
    GenericXLogState* state = logged ? GenericXLogStart(index) : nullptr;
    Page target = logged ? GenericXLogRegisterBuffer(state, buffer, 0) : page;
    if (offset != InvalidOffsetNumber) {
      put_slot(static_cast<char*>(PageGetItem(target, PageGetItemId(target, offset))), shape, slot, heap_tid, payload);
    } else {
      init_block(scratch, shape);
      put_slot(scratch, shape, 0, heap_tid, payload);
      add_item(index, target, scratch, block_size);
    }
    finish(state, buffer);
  } else {
    // A new page with a new block, linked from the last one.
    init_block(scratch, shape);
    put_slot(scratch, shape, 0, heap_tid, payload);
    buffer = append_linked_page(index, buffer, scratch, block_size, logged);
  }
  const BlockNumber last = BufferGetBlockNumber(buffer);
  UnlockReleaseBuffer(buffer);
  return last;
}

BlockNumber append_list_entry(Relation index, const BlockShape& shape, BlockNumber hint, ItemPointerData heap_tid,
                              const void* payload, size_t length, bool logged, char* scratch) {
  if (shape.m > 0) return append_block_entry(index, shape, hint, heap_tid, static_cast<const uint8*>(payload), logged, scratch);
  return append_entry(index, hint, heap_tid, payload, length, logged, scratch);
}

}  // namespace piramid::pg::ivf
