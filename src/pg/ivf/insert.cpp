// Inserting one row: into the untrained buffer while the index has no centroids, else into the list of
// its nearest centroid. The entry is one Generic WAL record (or one per page for values larger than a
// page); moving the list's insert hint is a separate record that only saves later inserts a walk.
#include "pg/ivf/insert.h"

#include "pg/am/scan_support.h"
#include "pg/guard.h"
#include "pg/ivf/page_ops.h"
#include "pg/ivf/shape.h"
#include "pg/ivf/train.h"

extern "C" {
#include "storage/bufmgr.h"
}

namespace piramid::pg::ivf {
namespace {

void insert_plain(Relation index, const PlainValue& value, ItemPointerData heap_tid) {
  MetaPage meta = read_meta_cpp(index);
  if (value.dims != meta.dims)
    throw Error(ErrorKind::kDataException,
                "expected " + std::to_string(meta.dims) + " dimensions, not " + std::to_string(value.dims));
  char* scratch = nullptr;
  call_postgres([&] { scratch = static_cast<char*>(palloc(kMaxItemSize)); });
  if (meta.trained_lists == 0) {
    std::vector<uint8> flat(meta.flat_size);
    write_flat(value, flat.data());
    const uint8* bytes = flat.data();
    bool buffered = false;
    call_postgres([&] {
      // The meta page stays share-locked while the row goes into the buffer: training publishes its model
      // under an exclusive lock, so once it has, no insert can still be adding to the buffer, and the
      // emptied buffer can be cut off after the move (README.md, "Untrained buffer").
      Buffer meta_buffer = lock_meta(index, BUFFER_LOCK_SHARE);
      const MetaPage current = *meta_of(BufferGetPage(meta_buffer));
      BlockNumber used = InvalidBlockNumber;
      if (current.trained_lists == 0) {
        used = append_entry(index, current.buffer_insert, heap_tid, bytes, meta.flat_size, true, scratch);
        buffered = true;
      }
      UnlockReleaseBuffer(meta_buffer);
      if (buffered && used != current.buffer_insert) set_insert_hint(index, InvalidBlockNumber, -1, used);
    });
    if (buffered) {
      call_postgres([&] { pfree(scratch); });
      return;
    }
    meta = read_meta_cpp(index);  // trained meanwhile: the row goes to its list
  }
  std::shared_ptr<const IndexShape> shape_ptr = index_shape(index, meta);
  const IndexShape& shape = *shape_ptr;
  std::vector<float> floats(static_cast<size_t>(shape.dims));
  float_view(value, floats.data());
  const int32 list = nearest_list(shape, floats.data());
  std::vector<uint8> code(shape.code_size);
  encode_entry(shape, value, floats.data(), list, code.data());
  const uint8* bytes = code.data();
  call_postgres([&] {
    const BlockNumber hint = read_list_entry(index, meta.directory, list).insert;
    const BlockNumber used = append_list_entry(index, shape.blocks, hint, heap_tid, bytes, shape.code_size, true, scratch);
    if (used != hint) set_insert_hint(index, meta.directory, list, used);
    pfree(scratch);
  });
}

}  // namespace

void insert_value(Relation index, Datum value, ItemPointer heap_tid) {
  insert_indexable(index, value, heap_tid, insert_plain);
}

}  // namespace piramid::pg::ivf
