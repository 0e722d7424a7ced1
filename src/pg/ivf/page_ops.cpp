#include "pg/ivf/page_ops.h"

#include "piramid/compute/pq4.h"

extern "C" {
#include "access/generic_xlog.h"
#include "miscadmin.h"
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

// A page for a chain, exclusively locked. Logged changes first take the head of the free list (pages.h):
// the meta page (its new free_head) and the page join the open record, and the meta page stays locked
// until finish_new_page. The meta page and the free page are only tried, never waited for (the caller may
// hold a chain page, and the free list is only an optimisation), so otherwise the relation is extended.
// The page is initialised in `page`: the buffer's page (unlogged) or a Generic WAL image in `state`.
struct NewPage {
  Buffer buffer = InvalidBuffer;
  Buffer meta = InvalidBuffer;  // locked while a page taken from the free list is being logged
  GenericXLogState* state = nullptr;
  Page page = nullptr;
};

bool take_free_page(Relation index, NewPage* out) {
  Buffer meta_buffer = ReadBuffer(index, kMetaBlock);
  if (!ConditionalLockBuffer(meta_buffer)) {
    ReleaseBuffer(meta_buffer);
    return false;
  }
  const MetaPage* meta = meta_of(BufferGetPage(meta_buffer));
  if (meta->magic != kMagic || !has_free_pages(*meta) || meta->free_head >= RelationGetNumberOfBlocks(index)) {
    UnlockReleaseBuffer(meta_buffer);
    return false;
  }
  Buffer buffer = ReadBuffer(index, meta->free_head);
  if (!ConditionalLockBuffer(buffer)) {
    ReleaseBuffer(buffer);
    UnlockReleaseBuffer(meta_buffer);
    return false;
  }
  const PageOpaque* opaque = page_opaque(BufferGetPage(buffer));
  if (opaque->page_type != kFreePage || opaque->page_id != kPageId) {
    const BlockNumber block = BufferGetBlockNumber(buffer);
    UnlockReleaseBuffer(buffer);
    UnlockReleaseBuffer(meta_buffer);
    ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),
                    errmsg("ivf index \"%s\" has a free list through page %u, which is not free",
                           RelationGetRelationName(index), block),
                    errhint("REINDEX the index.")));
  }
  MetaPage* target = meta_of(GenericXLogRegisterBuffer(out->state, meta_buffer, 0));
  target->free_head = opaque->next;
  target->free_pages = target->free_pages > 0 ? target->free_pages - 1 : 0;
  out->meta = meta_buffer;
  out->buffer = buffer;
  out->page = GenericXLogRegisterBuffer(out->state, buffer, GENERIC_XLOG_FULL_IMAGE);
  return true;
}

NewPage new_page(Relation index, PageType type, bool logged) {
  NewPage out;
  if (logged) out.state = GenericXLogStart(index);
  if (!logged || !take_free_page(index, &out)) {
    LockRelationForExtension(index, ExclusiveLock);
    out.buffer = ReadBufferExtended(index, MAIN_FORKNUM, P_NEW, RBM_NORMAL, nullptr);
    LockBuffer(out.buffer, BUFFER_LOCK_EXCLUSIVE);
    UnlockRelationForExtension(index, ExclusiveLock);
    out.page = logged ? GenericXLogRegisterBuffer(out.state, out.buffer, GENERIC_XLOG_FULL_IMAGE)
                      : BufferGetPage(out.buffer);
  }
  init_page(out.page, type);
  return out;
}

// Writes the record (or marks the new page dirty) and unlocks the meta page; the new page stays locked.
void finish_new_page(NewPage* p) {
  if (p->state != nullptr) {
    GenericXLogFinish(p->state);
  } else {
    MarkBufferDirty(p->buffer);
  }
  if (p->meta != InvalidBuffer) UnlockReleaseBuffer(p->meta);
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

// A new page of the chain holding `item` (a list or buffer page, like `last`), linked from the
// exclusively locked last page of the chain (`last`, which is unlocked and released); one record covers
// both, so the link and the new page's contents appear together. Returns the new page's buffer,
// exclusively locked.
Buffer append_linked_page(Relation index, Buffer last, const void* item, Size size, bool logged) {
  const PageType type = static_cast<PageType>(page_opaque(BufferGetPage(last))->page_type);
  NewPage fresh = new_page(index, type, logged);
  Page current = logged ? GenericXLogRegisterBuffer(fresh.state, last, 0) : BufferGetPage(last);
  page_opaque(current)->next = BufferGetBlockNumber(fresh.buffer);
  add_item(index, fresh.page, item, size);
  if (!logged) MarkBufferDirty(last);
  finish_new_page(&fresh);
  UnlockReleaseBuffer(last);
  return fresh.buffer;
}

// Errors unless the page is a page of a list or of the buffer.
void check_chain_page(Relation index, Buffer buffer) {
  const uint16 type = page_opaque(BufferGetPage(buffer))->page_type;
  if (type != kListPage && type != kBufferPage)
    ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),
                    errmsg("ivf index \"%s\" has a list chain through a non-list page %u", RelationGetRelationName(index),
                           BufferGetBlockNumber(buffer)),
                    errhint("REINDEX the index.")));
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
    NewPage fresh = new_page(index, type, logged);
    page_opaque(fresh.page)->next = next;
    if (take > 0) add_item(index, fresh.page, static_cast<const char*>(data) + begin, take);
    finish_new_page(&fresh);
    next = BufferGetBlockNumber(fresh.buffer);
    UnlockReleaseBuffer(fresh.buffer);
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

BlockNumber new_chain_page(Relation index, PageType type, bool logged) {
  NewPage fresh = new_page(index, type, logged);
  finish_new_page(&fresh);
  const BlockNumber block = BufferGetBlockNumber(fresh.buffer);
  UnlockReleaseBuffer(fresh.buffer);
  return block;
}

void free_chain_prefix(Relation index, BlockNumber head, const BlockNumber* pages, size_t count) {
  for (size_t i = 0; i < count; i += 2) {
    const size_t take = std::min<size_t>(2, count - i);
    Buffer meta = lock_meta(index, BUFFER_LOCK_EXCLUSIVE);
    Buffer buffers[3] = {ReadBuffer(index, head), InvalidBuffer, InvalidBuffer};
    LockBuffer(buffers[0], BUFFER_LOCK_EXCLUSIVE);
    for (size_t k = 0; k < take; ++k) {
      buffers[k + 1] = ReadBuffer(index, pages[i + k]);
      LockBuffer(buffers[k + 1], BUFFER_LOCK_EXCLUSIVE);
    }
    // The pages must be the chain's next ones after the head.
    for (size_t k = 0; k < take; ++k) {
      const PageOpaque* before = page_opaque(BufferGetPage(buffers[k]));
      if (before->next != pages[i + k] || page_opaque(BufferGetPage(buffers[k + 1]))->page_type != kBufferPage)
        ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),
                        errmsg("ivf index \"%s\": page %u is not the next page of the untrained buffer",
                               RelationGetRelationName(index), pages[i + k]),
                        errhint("REINDEX the index.")));
    }
    const BlockNumber after = page_opaque(BufferGetPage(buffers[take]))->next;
    GenericXLogState* state = GenericXLogStart(index);
    MetaPage* m = meta_of(GenericXLogRegisterBuffer(state, meta, 0));
    page_opaque(GenericXLogRegisterBuffer(state, buffers[0], 0))->next = after;
    BlockNumber next_free = has_free_pages(*m) ? m->free_head : InvalidBlockNumber;
    for (size_t k = take; k-- > 0;) {
      Page page = GenericXLogRegisterBuffer(state, buffers[k + 1], 0);
      init_page(page, kFreePage);
      page_opaque(page)->next = next_free;
      next_free = pages[i + k];
    }
    m->free_head = next_free;
    m->free_pages += static_cast<uint32>(take);
    GenericXLogFinish(state);
    for (size_t k = take + 1; k-- > 0;) UnlockReleaseBuffer(buffers[k]);
    UnlockReleaseBuffer(meta);
    CHECK_FOR_INTERRUPTS();
  }
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
    check_chain_page(index, buffer);
    Page page = BufferGetPage(buffer);
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
    check_chain_page(index, buffer);
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
