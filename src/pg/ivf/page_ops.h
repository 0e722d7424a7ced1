// Page-level operations of the ivf index: pages, the meta page, blobs (chains of one-item pages), the list
// directory, appending entries to a chain and reading a chain back. Plain glue functions: they call
// Postgres directly, so C++ callers reach them through call_postgres() (DESIGN.md section 3.2).
#pragma once

#include "pg/ivf/pages.h"

extern "C" {
#include "storage/buf.h"
#include "utils/rel.h"
}

namespace piramid::pg::ivf {

void init_page(Page page, PageType type);

// The meta page, locked (BUFFER_LOCK_SHARE or BUFFER_LOCK_EXCLUSIVE) and checked.
Buffer lock_meta(Relation index, int mode);
MetaPage read_meta(Relation index);
// Writes block 0 of `fork` (which must be empty). With `log`, WAL-logs it as a full page.
void write_new_meta(Relation index, ForkNumber fork, const MetaPage& meta, bool log);
// Replaces the meta page's contents in one Generic WAL record (or unlogged during a build).
void overwrite_meta(Relation index, const MetaPage& meta, bool logged);

// Writes `length` bytes as a chain of new pages of `type`; returns its first block. Unlogged pages are
// for builds (logged in bulk at the end); logged ones get one record per page. Nothing points at the
// chain until the caller publishes its first block, so a crash in between leaves the index valid.
BlockNumber write_blob(Relation index, PageType type, const void* data, size_t length, bool logged);
// Reads `length` bytes of the chain starting at `first` into dst; false if the chain is shorter.
bool read_blob(Relation index, BlockNumber first, void* dst, size_t length);

// The directory entry of list `list`.
ListEntry read_list_entry(Relation index, BlockNumber directory, int32 list);
// Sets the insert hint of list `list` (or of the untrained buffer when list < 0).
void set_insert_hint(Relation index, BlockNumber directory, int32 list, BlockNumber block);

// A new empty page of `type` (kListPage or kBufferPage: the head of a new chain). Logged ones may come
// from the free list.
BlockNumber new_chain_page(Relation index, PageType type, bool logged);

// Unlinks pages[0..count) from the untrained buffer's chain, where they must follow `head` in this order,
// and puts them on the free list: the meta page, the head and two pages per record, so no page is ever
// both in the chain and on the free list. The pages must hold no entry that is not also in a list.
void free_chain_prefix(Relation index, BlockNumber head, const BlockNumber* pages, size_t count);

// Appends one entry (cut into parts when it is larger than a page) to the chain that `hint` belongs to,
// starting at page `hint` and following `next` to a page with room; entries of more than one part go to
// new pages at the end of the chain. Returns the page the entry (its last part) went to.
BlockNumber append_entry(Relation index, BlockNumber hint, ItemPointerData heap_tid, const void* payload,
                         size_t length, bool logged, char* scratch);

// Appends one entry to a chain of block lists (shape.m > 0): `payload` is the 4-bit code, then its
// float term when shape.terms. It takes a free slot of a block on the first page from `hint` that has
// one, else starts a block on the first page with room, else a new page at the end of the chain. One
// Generic WAL record (two buffers when a page is added). Returns the page the entry went to.
BlockNumber append_block_entry(Relation index, const BlockShape& shape, BlockNumber hint, ItemPointerData heap_tid,
                               const uint8* payload, bool logged, char* scratch);

// append_block_entry for block lists, append_entry otherwise.
BlockNumber append_list_entry(Relation index, const BlockShape& shape, BlockNumber hint, ItemPointerData heap_tid,
                              const void* payload, size_t length, bool logged, char* scratch);

// A slot of a block on `page` that an entry can take: true with the block's offset and the slot.
bool find_free_slot(Page page, const BlockShape& shape, OffsetNumber* offset, size_t* slot);

}  // namespace piramid::pg::ivf
