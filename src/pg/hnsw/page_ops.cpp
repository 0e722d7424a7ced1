#include "pg/hnsw/page_ops.h"

extern "C" {
#include "access/generic_xlog.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/freespace.h"
#include "storage/indexfsm.h"
#include "storage/lmgr.h"
}

#include <algorithm>

namespace piramid::pg::hnsw {

void init_page(Page page, PageType type) {
  PageInit(page, BLCKSZ, sizeof(PageOpaque));
  PageOpaque* opaque = page_opaque(page);
  opaque->unused = InvalidBlockNumber;
  opaque->page_type = type;
  opaque->page_id = kPageId;
}

namespace {

// A new, exclusively locked, initialised page at the end of the relation.
Buffer extend(Relation index, PageType type, bool logged, GenericXLogState** state, Page* page) {
  LockRelationForExtension(index, ExclusiveLock);
  Buffer buffer = ReadBufferExtended(index, MAIN_FORKNUM, P_NEW, RBM_NORMAL, nullptr);
  LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
  UnlockRelationForExtension(index, ExclusiveLock);
  if (logged) {
    *state = GenericXLogStart(index);
    *page = GenericXLogRegisterBuffer(*state, buffer, GENERIC_XLOG_FULL_IMAGE);
  } else {
    *page = BufferGetPage(buffer);
  }
  init_page(*page, type);
  return buffer;
}

bool fits(Page page, PageType type, Size size) {
  return page_opaque(page)->page_type == type && PageGetFreeSpace(page) >= MAXALIGN(size);
}

ItemPointerData add_item(Buffer buffer, Page page, const void* item, Size size) {
  const OffsetNumber offset = PageAddItem(page, static_cast<Item>(const_cast<void*>(item)), size, InvalidOffsetNumber, false, false);
  if (offset == InvalidOffsetNumber)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("failed to add a %zu-byte item to an hnsw index page", size)));
  ItemPointerData tid;
  ItemPointerSet(&tid, BufferGetBlockNumber(buffer), offset);
  return tid;
}

}  // namespace

void build_appender_begin(BuildAppender* a, Relation index) {
  a->index = index;
  a->node_buffer = InvalidBuffer;
  a->chunk_buffer = InvalidBuffer;
}

ItemPointerData build_append(BuildAppender* a, PageType type, const void* item, Size size) {
  Buffer* current = type == kChunkPage ? &a->chunk_buffer : &a->node_buffer;
  if (*current == InvalidBuffer || !fits(BufferGetPage(*current), type, size)) {
    if (*current != InvalidBuffer) {
      MarkBufferDirty(*current);
      UnlockReleaseBuffer(*current);
    }
    Page page;
    *current = extend(a->index, type, false, nullptr, &page);
  }
  return add_item(*current, BufferGetPage(*current), item, size);
}

// The largest chunk payload that fits the free space left on a page (0 if not even a header fits).
static size_t chunk_room(Page page) {
  const Size free = PageGetFreeSpace(page);
  const Size overhead = MAXALIGN(sizeof(ChunkHeader)) + 8;  // header and alignment slack
  return free > overhead + 64 ? free - overhead : 0;
}

ItemPointerData build_append_chain(BuildAppender* a, const void* data, size_t length) {
  // Chunks are written last to first, so each can point at the next one already placed.
  // To keep a chain in page order instead, compute the pieces first: fill the current page, then whole
  // pages. Writing them forwards requires knowing the next TID in advance, which the sequential layout
  // gives: the next chunk always starts a new page at offset 1.
  const char* bytes = static_cast<const char*>(data);
  ItemPointerData first;
  ItemPointerSetInvalid(&first);
  ItemPointerData* previous_next = nullptr;
  Buffer previous_buffer = InvalidBuffer;
  size_t done = 0;
  char* scratch = static_cast<char*>(palloc(kMaxTupleSize));
  while (done < length || (length == 0 && !ItemPointerIsValid(&first))) {
    if (a->chunk_buffer == InvalidBuffer || chunk_room(BufferGetPage(a->chunk_buffer)) == 0) {
      if (a->chunk_buffer != InvalidBuffer && a->chunk_buffer != previous_buffer) {
        MarkBufferDirty(a->chunk_buffer);
        UnlockReleaseBuffer(a->chunk_buffer);
      }
      Page page;
      a->chunk_buffer = extend(a->index, kChunkPage, false, nullptr, &page);
    }
    Page page = BufferGetPage(a->chunk_buffer);
    const size_t take = std::min(length - done, chunk_room(page));
    ChunkHeader* header = reinterpret_cast<ChunkHeader*>(scratch);
    ItemPointerSetInvalid(&header->next);
    header->length = static_cast<uint16>(take);
    memcpy(scratch + sizeof(ChunkHeader), bytes + done, take);
    const ItemPointerData tid = add_item(a->chunk_buffer, page, scratch, sizeof(ChunkHeader) + take);
    if (previous_next != nullptr) *previous_next = tid;
    if (!ItemPointerIsValid(&first)) first = tid;
    // Remember where this chunk's `next` lives, to link the following chunk.
    ItemId item = PageGetItemId(page, ItemPointerGetOffsetNumber(&tid));
    previous_next = &reinterpret_cast<ChunkHeader*>(PageGetItem(page, item))->next;
    if (previous_buffer != InvalidBuffer && previous_buffer != a->chunk_buffer) {
      MarkBufferDirty(previous_buffer);
      UnlockReleaseBuffer(previous_buffer);
    }
    previous_buffer = a->chunk_buffer;
    done += take;
    if (length == 0) break;
  }
  pfree(scratch);
  return first;
}

void build_appender_end(BuildAppender* a) {
  for (Buffer* b : {&a->node_buffer, &a->chunk_buffer}) {
    if (*b != InvalidBuffer) {
      MarkBufferDirty(*b);
      UnlockReleaseBuffer(*b);
      *b = InvalidBuffer;
    }
  }
}

namespace {

// An exclusively locked page of `type` with room for `size` bytes, registered in a new Generic WAL
// record: the hint page, else one from the free space map, else a new page.
// Locks `block` exclusively if it is a page of `type` with room for `size`; else returns InvalidBuffer
// and sets *free to the page's free space (0 for a page of another type).
Buffer lock_if_room(Relation index, BlockNumber block, PageType type, Size size, Size* free) {
  Buffer buffer = ReadBuffer(index, block);
  LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
  Page page = BufferGetPage(buffer);
  if (fits(page, type, size)) return buffer;
  *free = (PageIsNew(page) || page_opaque(page)->page_type != type) ? 0 : PageGetFreeSpace(page);
  UnlockReleaseBuffer(buffer);
  return InvalidBuffer;
}

// A page with room: the hint, then (node pages) the free space map or (chunk pages) the meta page's list
// of chunk pages vacuum freed space on, else a new page.
Buffer page_with_room(Relation index, PageType type, Size size, BlockNumber* hint, GenericXLogState** state,
                      Page* page) {
  constexpr int kAttempts = 8;
  const Size needed = MAXALIGN(size) + sizeof(ItemIdData);
  const BlockNumber blocks = RelationGetNumberOfBlocks(index);
  Buffer found = InvalidBuffer;
  Size free = 0;
  if (*hint != InvalidBlockNumber && *hint != kMetaBlock && *hint < blocks)
    found = lock_if_room(index, *hint, type, size, &free);
  if (found == InvalidBuffer && type == kNodePage) {
    BlockNumber block = GetPageWithFreeSpace(index, needed);
    for (int attempt = 0; attempt < kAttempts && found == InvalidBuffer && block != InvalidBlockNumber; ++attempt) {
      if (block == kMetaBlock || block >= blocks) break;  // a stale map entry
      found = lock_if_room(index, block, type, size, &free);
      if (found == InvalidBuffer) block = RecordAndGetPageWithFreeSpace(index, block, free, needed);
    }
  } else if (found == InvalidBuffer) {
    BlockNumber listed[kFreeChunkSlots];
    int count = 0;
    Buffer meta = lock_meta(index, BUFFER_LOCK_SHARE);
    const MetaPage* m = meta_of(BufferGetPage(meta));
    count = std::min<int>(m->free_chunk_count, kFreeChunkSlots);
    memcpy(listed, m->free_chunk_blocks, sizeof(BlockNumber) * count);
    UnlockReleaseBuffer(meta);
    // Continue after the hint's entry (pages before it were tried and filled), else start at a different
    // entry in each backend so concurrent inserts spread over the list.
    int start = count > 0 ? MyProcPid % count : 0;
    for (int i = 0; i < count; ++i) {
      if (listed[i] == *hint) start = (i + 1) % count;
    }
    for (int i = 0; i < count && i < kAttempts && found == InvalidBuffer; ++i) {
      const BlockNumber block = listed[(start + i) % count];
      if (block != kMetaBlock && block < blocks && block != *hint) found = lock_if_room(index, block, type, size, &free);
    }
  }
  if (found != InvalidBuffer) {
    *state = GenericXLogStart(index);
    *page = GenericXLogRegisterBuffer(*state, found, 0);
    *hint = BufferGetBlockNumber(found);
    return found;
  }
  Buffer buffer = extend(index, type, true, state, page);
  *hint = BufferGetBlockNumber(buffer);
  return buffer;
}

}  // namespace

ItemPointerData logged_append(Relation index, PageType type, const void* item, Size size, BlockNumber* hint) {
  GenericXLogState* state;
  Page page;
  Buffer buffer = page_with_room(index, type, size, hint, &state, &page);
  const ItemPointerData tid = add_item(buffer, page, item, size);
  GenericXLogFinish(state);
  UnlockReleaseBuffer(buffer);
  return tid;
}

ItemPointerData logged_append_chain(Relation index, const void* data, size_t length, BlockNumber* hint) {
  // Written last chunk first, so every chunk can point at the one after it when it is written.
  const size_t piece = kMaxTupleSize - MAXALIGN(sizeof(ChunkHeader)) - 64;
  const size_t pieces = length == 0 ? 1 : (length + piece - 1) / piece;
  ItemPointerData next;
  ItemPointerSetInvalid(&next);
  char* scratch = static_cast<char*>(palloc(kMaxTupleSize));
  for (size_t i = pieces; i-- > 0;) {
    const size_t begin = i * piece, take = std::min(length - begin, piece);
    ChunkHeader* header = reinterpret_cast<ChunkHeader*>(scratch);
    header->next = next;
    header->length = static_cast<uint16>(take);
    memcpy(scratch + sizeof(ChunkHeader), static_cast<const char*>(data) + begin, take);
    next = logged_append(index, kChunkPage, scratch, sizeof(ChunkHeader) + take, hint);
  }
  pfree(scratch);
  return next;
}

size_t read_chain(Relation index, ItemPointerData first, void* dst, size_t length) {
  size_t done = 0;
  ItemPointerData tid = first;
  while (ItemPointerIsValid(&tid) && done < length) {
    Buffer buffer = ReadBuffer(index, ItemPointerGetBlockNumber(&tid));
    LockBuffer(buffer, BUFFER_LOCK_SHARE);
    Page page = BufferGetPage(buffer);
    const OffsetNumber offset = ItemPointerGetOffsetNumber(&tid);
    if (page_opaque(page)->page_type != kChunkPage || offset > PageGetMaxOffsetNumber(page))
      ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),
                      errmsg("hnsw index \"%s\" has a broken chunk chain at (%u,%u)", RelationGetRelationName(index),
                             ItemPointerGetBlockNumber(&tid), offset)));
    const ChunkHeader* chunk = reinterpret_cast<const ChunkHeader*>(PageGetItem(page, PageGetItemId(page, offset)));
    const size_t take = std::min<size_t>(chunk->length, length - done);
    memcpy(static_cast<char*>(dst) + done, reinterpret_cast<const char*>(chunk) + sizeof(ChunkHeader), take);
    done += take;
    tid = chunk->next;
    UnlockReleaseBuffer(buffer);
  }
  return done;
}

Buffer lock_meta(Relation index, int mode) {
  Buffer buffer = ReadBuffer(index, kMetaBlock);
  LockBuffer(buffer, mode);
  const MetaPage* meta = meta_of(BufferGetPage(buffer));
  if (meta->magic != kMagic || meta->version != kVersion)
    ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),
                    errmsg("\"%s\" is not a valid piramid hnsw index", RelationGetRelationName(index)),
                    errdetail("The meta page has magic %08x version %u.", meta->magic, meta->version),
                    errhint("REINDEX the index.")));
  return buffer;
}

}  // namespace piramid::pg::hnsw
