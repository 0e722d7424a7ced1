#include "pg/hnsw/page_reader.h"

#include "pg/guard.h"
#include "pg/hnsw/page_ops.h"

extern "C" {
#include "storage/buf_internals.h"
#include "storage/bufmgr.h"
}

#include <algorithm>
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

namespace {

constexpr size_t kPoolSize = 4;

// Reserved once, so giving memory back (which can run in a memory-context reset during error recovery)
// never allocates.
std::vector<std::unique_ptr<void, void (*)(void*)>>& unused_pool() {
  static std::vector<std::unique_ptr<void, void (*)(void*)>> pool = [] {
    std::vector<std::unique_ptr<void, void (*)(void*)>> p;
    p.reserve(kPoolSize);
    return p;
  }();
  return pool;
}

}  // namespace

std::unique_ptr<PageReader::Pooled> PageReader::take_pooled() {
  auto& pool = unused_pool();
  if (pool.empty()) return std::make_unique<Pooled>();
  std::unique_ptr<Pooled> p(static_cast<Pooled*>(pool.back().release()));
  pool.pop_back();
  return p;
}

PageReader::~PageReader() {
  auto& pool = unused_pool();
  if (pool.size() >= kPoolSize) return;  // nested scans beyond a few: let it go
  arena_.clear();
  kept_.clear();
  pool.emplace_back(pooled_.release(), [](void* p) { delete static_cast<Pooled*>(p); });
}

PageReader::PageReader(Relation index, const IndexShape& shape)
    : index_(index), shape_(shape), pooled_(take_pooled()), visited_(pooled_->visited), arena_(pooled_->arena), kept_(pooled_->kept) {
}

Buffer PageReader::pin(BlockNumber block) const { return shape_.recent_buffers.pin(index_, block); }

void PageReader::prefetch(Id id) const {
  const BlockNumber block = static_cast<BlockNumber>(id >> 16);
  const Buffer recent = shape_.recent_buffers.hint(block);
  if (recent == InvalidBuffer) return;
  // Only a hint to the CPU, read without a lock: the line pointer may be stale or the buffer may hold
  // another page by now, so the address is only clamped to the page; nothing read here is trusted.
  const char* page = static_cast<const char*>(BufferGetBlock(recent));
  const size_t offset = static_cast<size_t>(id & 0xffff);
  if (offset == 0 || offset > MaxOffsetNumber) return;
  const ItemIdData item = *reinterpret_cast<const ItemIdData*>(page + SizeOfPageHeaderData + (offset - 1) * sizeof(ItemIdData));
  // The whole node (header, code, links, navigation blocks: up to a few kB): expanding it reads most of
  // it, and asking for every line now overlaps their memory latency with the current expansion.
  const size_t start = std::min<size_t>(ItemIdGetOffset(&item), BLCKSZ);
  const size_t end = std::min<size_t>(BLCKSZ, start + std::min<size_t>(ItemIdGetLength(&item), 64 * 64));
  for (size_t at = start; at < end; at += 64) __builtin_prefetch(page + at);
  // And the page's special space, where the expansion first checks the page type.
  __builtin_prefetch(page + BLCKSZ - sizeof(PageOpaque));
}

void PageReader::prefetch_soon(Id id) const {
  const Buffer recent = shape_.recent_buffers.hint(static_cast<BlockNumber>(id >> 16));
  const size_t offset = static_cast<size_t>(id & 0xffff);
  if (recent == InvalidBuffer || offset == 0 || offset > MaxOffsetNumber || recent < 0) return;
  // The buffer's descriptor (pinning and locking it are the expansion's first accesses) and the line
  // holding the node's line pointer.
  __builtin_prefetch(GetBufferDescriptor(recent - 1));
  __builtin_prefetch(static_cast<const char*>(BufferGetBlock(recent)) + SizeOfPageHeaderData +
                     (offset - 1) * sizeof(ItemIdData));
}

float PageReader::distance(Id id) {
  const ItemPointerData tid = tid_from_key(id);
  float result = std::numeric_limits<float>::infinity();
  bool in_chain = false;
  NodeFacts facts{};
  ++pages_read_;
  call_postgres([&] {
    Buffer buffer = pin(ItemPointerGetBlockNumber(&tid));
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

bool PageReader::expand(Id id, int level, float* precise, std::vector<piramid::hnsw::Candidate<Id>>& fresh) {
  const ItemPointerData tid = tid_from_key(id);
  const size_t capacity = shape_.layout.capacity(level);
  const piramid::hnsw::NavQuantizer* nav = shape_.nav.get();
  links_.resize(capacity);
  approx_.resize(piramid::hnsw::nav_blocks(capacity) * piramid::hnsw::kNavBlockEntries);
  ItemPointerData* links = links_.data();
  float* approx = approx_.data();
  const piramid::hnsw::NavTable* table = table_;
  size_t count = 0;
  bool valid = false, in_chain = false;
  float self = std::numeric_limits<float>::infinity();
  NodeFacts facts{};
  const size_t code_size = shape_.code_size;
  const bool keep = keep_ && code_size > 0;
  const size_t code_at = arena_.size();
  if (keep) arena_.resize(code_at + code_size);
  uint8* code_dst = keep ? arena_.data() + code_at : nullptr;
  bool copied = false, same = false;
  const uint8* value_code = value_code_ != nullptr ? value_code_->data() : nullptr;
  const size_t value_length = value_code_ != nullptr ? value_code_->size() : 0;
  ++pages_read_;
  call_postgres([&] {
    Buffer buffer = pin(ItemPointerGetBlockNumber(&tid));
    LockBuffer(buffer, BUFFER_LOCK_SHARE);
    if (char* node = node_at(BufferGetPage(buffer), ItemPointerGetOffsetNumber(&tid))) {
      // pure computation on the page, no allocation
      valid = true;
      NodeView view{node, shape_.layout};
      const NodeHeader* h = view.header();
      facts = NodeFacts{true, h->level, h->flags, h->code_length, h->heap_tid, h->chain};
      if (h->flags & kNodeCodeInChain) {
        in_chain = true;
      } else {
        self = (*query_)(view.code());
        same = value_code != nullptr && h->code_length == value_length && memcmp(view.code(), value_code, value_length) == 0;
        if (code_dst != nullptr && h->code_length == code_size) {
          memcpy(code_dst, view.code(), code_size);
          copied = true;
        }
      }
      if (level <= h->level) {
        count = std::min<size_t>(*view.count(level), capacity);
        memcpy(links, view.links(level), count * sizeof(ItemPointerData));
        if (nav != nullptr) {
          const uint8* blocks = view.nav_blocks(level);
          const size_t block_bytes = piramid::hnsw::nav_block_bytes(nav->subspaces());
          for (size_t b = 0; b * piramid::hnsw::kNavBlockEntries < count; ++b)
            nav->scan_block(*table, blocks + b * block_bytes, approx + b * piramid::hnsw::kNavBlockEntries);
        }
      }
    }
    UnlockReleaseBuffer(buffer);
  });
  if (keep && !copied) arena_.resize(code_at);
  last_same_id_ = same ? id : 0;
  if (!valid) return false;
  if (keep_) {
    kept_.push_back(KeptNode{id, ExpandedNode{facts, copied ? code_at : SIZE_MAX}});
    kept_sorted_ = false;
  }
  if (in_chain) {
    read_chain_bytes(facts, 0, facts.code_length, &scratch_);
    self = (*query_)(scratch_.data());
  }
  *precise = self;
  const size_t first = fresh.size();
  for (size_t i = 0; i < count; ++i) {
    const Id n = tid_key(links_[i]);
    if (visit(n)) fresh.push_back({approx_[i], n});
  }
  if (nav == nullptr) {
    // No navigation codes: the neighbours' own pages give their (precise) distances.
    for (size_t i = first; i < fresh.size(); ++i) fresh[i].distance = distance(fresh[i].id);
  }
  return true;
}

const ExpandedNode* PageReader::expanded(Id id) const {
  if (!kept_sorted_) {
    std::sort(kept_.begin(), kept_.end(), [](const KeptNode& a, const KeptNode& b) { return a.id < b.id; });
    kept_sorted_ = true;
  }
  auto it = std::lower_bound(kept_.begin(), kept_.end(), id, [](const KeptNode& k, Id key) { return k.id < key; });
  return it == kept_.end() || it->id != id ? nullptr : &it->node;
}

NodeFacts PageReader::read(Id id, std::vector<uint8>* code, std::vector<uint8>* nav_code) {
  const ItemPointerData tid = tid_from_key(id);
  NodeFacts facts{};
  if (code != nullptr) code->resize(kMaxTupleSize);
  uint8* dst = code != nullptr ? code->data() : nullptr;
  const size_t nav_bytes = shape_.layout.nav_code_bytes();
  if (nav_code != nullptr) nav_code->assign(nav_bytes, 0);
  uint8* nav_dst = nav_code != nullptr ? nav_code->data() : nullptr;
  call_postgres([&] {
    Buffer buffer = pin(ItemPointerGetBlockNumber(&tid));
    LockBuffer(buffer, BUFFER_LOCK_SHARE);
    if (char* node = node_at(BufferGetPage(buffer), ItemPointerGetOffsetNumber(&tid))) {
      NodeView view{node, shape_.layout};
      const NodeHeader* h = view.header();
      facts = NodeFacts{true, h->level, h->flags, h->code_length, h->heap_tid, h->chain};
      if (dst != nullptr && !(h->flags & kNodeCodeInChain)) memcpy(dst, view.code(), h->code_length);
      if (nav_dst != nullptr) memcpy(nav_dst, view.nav_code(), nav_bytes);
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
