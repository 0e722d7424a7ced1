// Page-level operations of the hnsw index: initialising pages, appending tuples (unlogged during a
// build, Generic-WAL-logged afterwards), and chunk chains. Plain glue functions: they call Postgres
// directly, so callers must hold no C++ objects with destructors (DESIGN.md section 3.2).
#pragma once

#include "pg/hnsw/pages.h"

extern "C" {
#include "utils/rel.h"
}

namespace piramid::pg::hnsw {

void init_page(Page page, PageType type);

// Appends tuples to fresh pages during a build, without WAL (the build logs every page at the end).
struct BuildAppender {
  Relation index;
  Buffer node_buffer;   // current node page, exclusively locked, or InvalidBuffer
  Buffer chunk_buffer;  // current chunk page
};
void build_appender_begin(BuildAppender* a, Relation index);
ItemPointerData build_append(BuildAppender* a, PageType type, const void* item, Size size);
// Writes `length` bytes as a chunk chain (filling the current chunk page first); returns its first chunk.
ItemPointerData build_append_chain(BuildAppender* a, const void* data, size_t length);
void build_appender_end(BuildAppender* a);

// Appends one tuple with Generic WAL: tries *hint, then a page from the free space map, then a new page.
// Updates *hint to the page used.
ItemPointerData logged_append(Relation index, PageType type, const void* item, Size size, BlockNumber* hint);
// Writes a chunk chain with Generic WAL (one record per chunk); returns its first chunk. The chain is
// unreachable until a node points to it, so a crash between records leaves the index valid.
ItemPointerData logged_append_chain(Relation index, const void* data, size_t length, BlockNumber* hint);

// Reads a whole chain into dst (which has room for `length` bytes). Returns the bytes read.
size_t read_chain(Relation index, ItemPointerData first, void* dst, size_t length);

// Locks and returns the meta page buffer (BUFFER_LOCK_SHARE or BUFFER_LOCK_EXCLUSIVE).
Buffer lock_meta(Relation index, int mode);

}  // namespace piramid::pg::hnsw
