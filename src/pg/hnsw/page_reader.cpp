#include "pg/hnsw/page_reader.h"

#include "pg/guard.h"
#include "pg/hnsw/page_ops.h"

extern "C" {
#include "storage/bufmgr.h"
}

#include <limits>

namespace piramid::pg::hnsw {
namespace {

// The node tuple at tid in a share-locked page, or nullptr when there is none (stale link).
char* node_at(Page page, OffsetNumber offset) {
  if (page_opaque(page)->page_type != kNodePage || offset < FirstOffsetNumber || offset > PageGetMaxOffsetNumber(page))
    return nullptr;
  ItemId item = PageGetItemId(page, offset);
  if (!ItemIdIsNormal(item)) return nullptr;
  return static_cast<char*>(PageGetItem(page, item));
}

}  // namespace

float PageReader::distance(Id id) {
  const ItemPointerData tid = tid_from_key(id);
  float result = std::numeric_limits<float>::infinity();
  bool in_chain = false;
  NodeFacts facts{};
  call_postgres([&] {
    Buffer buffer = ReadBuffer(index_, ItemPointerGetBlockNumber(&tid));
    LockBuffer(buffer, BUFFER_LOCK_SHARE);
    if (char* node = node_at(BufferGetPage(buffer), ItemPointerGetOffsetNumber(&tid))) {
      NodeView view{node, shape_.layout};
      if (view.header()->flags & kNodeCodeInChain) {
        in_chain = true;
        facts.chain = view.header()->chain;
        facts.code_length = view.header()->code_length;
      } else {
        result = (*query_)(view.code());  // pure computation on the page, no allocation
      }
    }
    UnlockReleaseBuffer(buffer);
  });
  if (in_chain) {
    read_chain_bytes(facts, 0, facts.code_length, &scratch_);
    result = (*query_)(scratch_.data());
  }
  return result;
}

void PageReader::neighbors(Id id, int level, std::vector<Id>& out) {
  const ItemPointerData tid = tid_from_key(id);
  out.resize(shape_.layout.capacity(level));
  size_t count = 0;
  Id* dst = out.data();
  call_postgres([&] {
    Buffer buffer = ReadBuffer(index_, ItemPointerGetBlockNumber(&tid));
    LockBuffer(buffer, BUFFER_LOCK_SHARE);
    if (char* node = node_at(BufferGetPage(buffer), ItemPointerGetOffsetNumber(&tid))) {
      NodeView view{node, shape_.layout};
      if (level <= view.header()->level) {
        count = std::min<size_t>(*view.count(level), shape_.layout.capacity(level));
        const ItemPointerData* links = view.links(level);
        for (size_t i = 0; i < count; ++i) dst[i] = tid_key(links[i]);
      }
    }
    UnlockReleaseBuffer(buffer);
  });
  out.resize(count);
}

NodeFacts PageReader::read(Id id, std::vector<uint8>* code) {
  const ItemPointerData tid = tid_from_key(id);
  NodeFacts facts{};
  if (code != nullptr) code->resize(kMaxTupleSize);
  uint8* dst = code != nullptr ? code->data() : nullptr;
  call_postgres([&] {
    Buffer buffer = ReadBuffer(index_, ItemPointerGetBlockNumber(&tid));
    LockBuffer(buffer, BUFFER_LOCK_SHARE);
    if (char* node = node_at(BufferGetPage(buffer), ItemPointerGetOffsetNumber(&tid))) {
      NodeView view{node, shape_.layout};
      const NodeHeader* h = view.header();
      facts = NodeFacts{true, h->level, h->flags, h->code_length, h->heap_tid, h->chain};
      if (dst != nullptr && !(h->flags & kNodeCodeInChain)) memcpy(dst, view.code(), h->code_length);
    }
    UnlockReleaseBuffer(buffer);
  });
  if (code != nullptr) {
    if (facts.valid && (facts.flags & kNodeCodeInChain)) read_chain_bytes(facts, 0, facts.code_length, code);
    code->resize(facts.valid ? facts.code_length : 0);
  }
  return facts;
}

void PageReader::read_chain_bytes(const NodeFacts& facts, size_t offset, size_t length, std::vector<uint8>* out) {
  out->resize(offset + length);
  uint8* dst = out->data();
  size_t got = 0;
  call_postgres([&] { got = read_chain(index_, facts.chain, dst, offset + length); });
  if (got != offset + length)
    throw Error(ErrorKind::kIndexCorrupted, "hnsw index chunk chain is shorter than its node says", {}, "REINDEX the index.");
  if (offset > 0) out->erase(out->begin(), out->begin() + static_cast<long>(offset));
}

}  // namespace piramid::pg::hnsw
