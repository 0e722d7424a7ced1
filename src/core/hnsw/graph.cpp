#include "piramid/hnsw/graph.h"

#include "piramid/parallel.h"

#include <algorithm>
#include <limits>
#include <cmath>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PIRAMID_PREFETCH(p) _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0)
#else
#define PIRAMID_PREFETCH(p) __builtin_prefetch(p)
#endif

namespace piramid::hnsw {

void CodeStore::reserve(size_t nodes, size_t bytes_per_node) {
  bytes_.reserve(nodes * (code_size_ ? code_size_ : bytes_per_node));
  if (!code_size_) offsets_.reserve(nodes);
}

uint8_t* CodeStore::append(size_t length) {
  if (code_size_ && length != code_size_) throw Error(ErrorKind::kInternal, "code of the wrong size");
  // Variable-size codes start 4-byte aligned: they are read as int32 and float arrays.
  const size_t start = code_size_ ? bytes_.size() : (bytes_.size() + 3) & ~size_t(3);
  bytes_.resize(start + length);
  if (!code_size_) offsets_.push_back(start);
  return bytes_.data() + start;
}

int random_level(uint64_t seed, uint64_t id, int m) {
  // splitmix64 of (seed, id) -> a uniform double in (0, 1]
  uint64_t z = seed + 0x9e3779b97f4a7c15ull * (id + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  const double u = (static_cast<double>(z >> 11) + 1.0) / 9007199254740992.0;
  const double level = -std::log(u) / std::log(static_cast<double>(std::max(m, 2)));
  return static_cast<int>(std::min(level, 30.0));
}

Graph::Graph(const Space& space, const CodeStore& codes, GraphParams params, uint64_t seed)
    : space_(space), codes_(codes), params_(params), seed_(seed), locks_(4096) {
  const size_t n = codes.size();
  levels_.resize(n);
  upper_.resize(n);
  level0_.assign(n * (1 + capacity(0)), 0);
  for (size_t i = 0; i < n; ++i) {
    levels_[i] = static_cast<uint8_t>(std::min(random_level(seed_, i, params_.m), params_.max_level));
    if (levels_[i] > 0) upper_[i].assign(static_cast<size_t>(levels_[i]) * (1 + capacity(1)), 0);
  }
}

size_t Graph::estimate_bytes(size_t n, int m) {
  // level 0 links + level byte + the expected upper levels (1/(m-1) of nodes per level above 0)
  const size_t level0 = n * (1 + 2 * static_cast<size_t>(m)) * sizeof(uint32_t);
  const size_t upper = n * (1 + static_cast<size_t>(m)) * sizeof(uint32_t) / std::max(1, m - 1);
  return level0 + upper + n * (1 + sizeof(std::vector<uint32_t>));
}

size_t Graph::memory_bytes() const {
  size_t bytes =
      level0_.capacity() * sizeof(uint32_t) + levels_.capacity() + upper_.capacity() * sizeof(upper_[0]);
  for (const auto& u : upper_) bytes += u.capacity() * sizeof(uint32_t);
  return bytes;
}

uint32_t* Graph::link_block(uint32_t id, int level) {
  if (level == 0) return level0_.data() + static_cast<size_t>(id) * (1 + capacity(0));
  return upper_[id].data() + static_cast<size_t>(level - 1) * (1 + capacity(1));
}

const uint32_t* Graph::link_block(uint32_t id, int level) const {
  return const_cast<Graph*>(this)->link_block(id, level);
}

std::vector<uint32_t> Graph::links(uint32_t id, int level) const {
  const uint32_t* block = link_block(id, level);
  return std::vector<uint32_t>(block + 1, block + 1 + block[0]);
}

// Reads the graph under construction: codes from the store, links under their node's lock.
class GraphReader {
 public:
  using Id = uint32_t;
  GraphReader(Graph& g, const uint8_t* query_code, std::vector<uint32_t>& marks, uint32_t epoch,
              const QueryDistance* query = nullptr)
      : g_(g), query_code_(query_code), query_(query), marks_(marks), epoch_(epoch) {}

  bool visit(Id id) {
    if (marks_[id] == epoch_) return false;
    marks_[id] = epoch_;
    return true;
  }
  float distance(Id id) const {
    return query_ ? (*query_)(g_.codes_.code(id)) : g_.space_.between(query_code_, g_.codes_.code(id));
  }
  void neighbors(Id id, int level, std::vector<Id>& out) {
    std::lock_guard<std::mutex> guard(g_.lock_for(id));
    const uint32_t* block = g_.link_block(id, level);
    out.assign(block + 1, block + 1 + block[0]);
  }
  void prefetch(const Id* ids, size_t n) const { g_.prefetch_codes(ids, n); }
  bool same_value(Id id) const {
    if (query_code_ == nullptr) return false;
    const uint8_t* other = g_.codes_.code(id);
    const size_t length = g_.space_.code_length(query_code_);
    return g_.space_.code_length(other) == length && std::memcmp(query_code_, other, length) == 0;
  }

 private:
  Graph& g_;
  const uint8_t* query_code_;
  const QueryDistance* query_;
  std::vector<uint32_t>& marks_;
  uint32_t epoch_;
};

// Every cache line of the codes about to be compared (at most 32 lines each; the first line of
// variable-length codes): codes of far-apart nodes are rarely cached, and asking for all of them at
// once overlaps their memory latency.
void Graph::prefetch_codes(const uint32_t* ids, size_t n) const {
  const size_t lines = std::max<size_t>(1, std::min<size_t>(32, (space_.code_size() + 63) / 64));
  for (size_t i = 0; i < n; ++i) {
    const char* code = reinterpret_cast<const char*>(codes_.code(ids[i]));
    for (size_t l = 0; l < lines; ++l) PIRAMID_PREFETCH(code + 64 * l);
  }
}

void Graph::connect(uint32_t id, int level, const std::vector<Candidate<uint32_t>>& chosen) {
  const size_t cap = capacity(level);
  {
    std::lock_guard<std::mutex> guard(lock_for(id));
    uint32_t* block = link_block(id, level);
    block[0] = static_cast<uint32_t>(std::min(chosen.size(), cap));
    for (size_t i = 0; i < block[0]; ++i) block[1 + i] = chosen[i].id;
  }
  for (const Candidate<uint32_t>& c : chosen) {
    const uint32_t n = c.id;
    std::lock_guard<std::mutex> guard(lock_for(n));
    uint32_t* block = link_block(n, level);
    if (std::find(block + 1, block + 1 + block[0], id) != block + 1 + block[0]) continue;
    if (block[0] < cap) {
      block[1 + block[0]++] = id;
      continue;
    }
    // Full: re-select n's links among its current ones plus the new node.
    const uint8_t* base = codes_.code(n);
    prefetch_codes(block + 1, block[0]);
    std::vector<Candidate<uint32_t>> pool;
    pool.reserve(block[0] + 1);
    for (uint32_t i = 0; i < block[0]; ++i)
      pool.push_back({space_.between(base, codes_.code(block[1 + i])), block[1 + i]});
    pool.push_back({c.distance, id});
    std::sort(pool.begin(), pool.end(), [](const auto& a, const auto& b) { return a.distance < b.distance; });
    const auto kept = select_neighbors(
        pool, cap, [&](uint32_t a, uint32_t b) { return space_.between(codes_.code(a), codes_.code(b)); });
    block[0] = static_cast<uint32_t>(kept.size());
    for (size_t i = 0; i < kept.size(); ++i) block[1 + i] = kept[i].id;
  }
}

void Graph::insert(uint32_t id, std::vector<uint32_t>& marks, uint32_t& epoch) {
  const int level = levels_[id];
  uint32_t entry;
  int top;
  {
    std::lock_guard<std::mutex> guard(entry_lock_);
    if (max_level_ < 0) {
      entry_ = id;
      max_level_ = level;
      return;
    }
    entry = entry_;
    top = max_level_;
  }
  const uint8_t* code = codes_.code(id);
  Candidate<uint32_t> current{space_.between(code, codes_.code(entry)), entry};
  {
    GraphReader reader(*this, code, marks, 0);
    for (int l = top; l > level; --l) current = greedy_step_layer(reader, current, l);
  }
  std::vector<Candidate<uint32_t>> entries{current};
  for (int l = std::min(level, top); l >= 0; --l) {
    if (++epoch == 0) {  // wrapped: clear the marks once every 2^32 searches
      std::fill(marks.begin(), marks.end(), 0);
      epoch = 1;
    }
    GraphReader reader(*this, code, marks, epoch);
    // The node itself can be reachable already: another thread's search may have entered this level
    // through it (it is linked on the levels above) and linked to it. It must never become its own link.
    reader.visit(id);
    entries.erase(std::remove_if(entries.begin(), entries.end(), [&](const auto& e) { return e.id == id; }),
                  entries.end());
    for (const auto& e : entries) reader.visit(e.id);
    if (entries.empty())
      entries.push_back(Candidate<uint32_t>{space_.between(code, codes_.code(entry)), entry});
    std::vector<Candidate<uint32_t>> found =
        search_layer(reader, entries, params_.ef_construction, l, /*collapse_duplicates=*/true);
    const auto chosen = select_neighbors(
        found, capacity(l),
        [&](uint32_t a, uint32_t b) { return space_.between(codes_.code(a), codes_.code(b)); },
        /*keep_pruned=*/true);
    connect(id, l, chosen);
    entries = std::move(found);
  }
  if (level > top) {
    std::lock_guard<std::mutex> guard(entry_lock_);
    if (level > max_level_) {
      entry_ = id;
      max_level_ = level;
    }
  }
}

void Graph::build(int threads, const InterruptCheck& interrupt, const std::function<void(size_t)>& progress) {
  const size_t n = size();
  if (n == 0) return;
  threads = worker_count(threads, n);
  std::vector<std::vector<uint32_t>> marks(static_cast<size_t>(threads), std::vector<uint32_t>(n, 0));
  std::vector<uint32_t> epochs(static_cast<size_t>(threads), 0);
  std::atomic<size_t> done{0};
  // The first node alone, so every later insert has an entry point.
  insert(0, marks[0], epochs[0]);
  done = 1;
  size_t last_report = 0;
  parallel_for(
      n - 1, threads, 64,
      [&](size_t begin, size_t end, int worker) {
        for (size_t i = begin; i < end; ++i)
          insert(static_cast<uint32_t>(i + 1), marks[worker], epochs[worker]);
        const size_t now = done.fetch_add(end - begin) + (end - begin);
        if (worker == 0 && progress && now - last_report >= 1024) {
          last_report = now;
          progress(now);
        }
      },
      interrupt);
  link_orphans();
  link_islands();
  if (progress) progress(n);
}

void Graph::link_orphans() {
  // Neighbour pruning can leave a node that no list names at level 0: no search could reach it, so its
  // row could never be returned. Each such node is added to the list of one of its own neighbours.
  const size_t n = size();
  std::vector<uint32_t> named(n, 0);
  for (uint32_t id = 0; id < n; ++id) {
    size_t count = 0;
    const uint32_t* links = link_data(id, 0, &count);
    for (size_t i = 0; i < count; ++i) named[links[i]]++;
  }
  for (uint32_t id = 0; id < n; ++id) {
    if (named[id] > 0 || id == entry_) continue;
    size_t count = 0;
    const uint32_t* links = link_data(id, 0, &count);
    // Its neighbours' lists, nearest first: the first with room, or with a link to a node other lists
    // name too (replacing the most-named one).
    bool linked = false;
    for (size_t j = 0; j < count && !linked; ++j) {
      uint32_t* block = link_block(links[j], 0);  // [count, ids...]
      if (block[0] < capacity(0)) {
        block[1 + block[0]++] = id;
        linked = true;
        break;
      }
      size_t most = 1;
      for (size_t i = 2; i <= block[0]; ++i) {
        if (named[block[i]] > named[block[most]]) most = i;
      }
      if (named[block[most]] < 2) continue;  // replacing would orphan another node
      named[block[most]]--;
      block[most] = id;
      linked = true;
    }
    if (!linked) continue;
    named[id]++;
  }
}

size_t Graph::link_islands() {
  // Threads inserting at once can still leave a group of nodes that link to each other but that no link
  // from the rest of the graph enters (each of them is named by some list, so link_orphans keeps them).
  // A walk along the links from the entry point finds them; each group is entered through one new link
  // from the nearest node the walk reached (a search from the entry point for the group's first node),
  // which replaces a link of that node's list whose target other lists also name, or fills a free slot.
  // When no node the search found can take the link, the nearest reached node anywhere that can does
  // (a linear pass; without it, many copies of few values with small lists sometimes kept an island).
  const size_t n = size();
  if (n == 0) return 0;
  std::vector<uint8_t> reached(n, 0);
  std::vector<uint32_t> named(n, 0), queue;
  for (uint32_t id = 0; id < n; ++id) {
    size_t count = 0;
    const uint32_t* links = link_data(id, 0, &count);
    for (size_t i = 0; i < count; ++i) named[links[i]]++;
  }
  const auto walk = [&](uint32_t from) {
    queue.assign(1, from);
    reached[from] = 1;
    while (!queue.empty()) {
      const uint32_t id = queue.back();
      queue.pop_back();
      size_t count = 0;
      const uint32_t* links = link_data(id, 0, &count);
      for (size_t i = 0; i < count; ++i) {
        if (!reached[links[i]]) {
          reached[links[i]] = 1;
          queue.push_back(links[i]);
        }
      }
    }
  };
  std::vector<uint32_t> marks(n, 0);
  uint32_t epoch = 0;
  size_t linked = 0;
  // A replaced link can cut off the node it pointed to when its other namers are unreached themselves,
  // so each pass starts with a fresh walk; a few passes settle it.
  for (int pass = 0; pass < 4; ++pass) {
    std::fill(reached.begin(), reached.end(), 0);
    walk(entry_);
    if (std::find(reached.begin(), reached.end(), 0) == reached.end()) break;
    for (uint32_t island = 0; island < n; ++island) {
      if (reached[island]) continue;
      const uint8_t* code = codes_.code(island);
      Candidate<uint32_t> current{space_.between(code, codes_.code(entry_)), entry_};
      {
        GraphReader reader(*this, code, marks, 0);
        for (int l = max_level_; l > 0; --l) current = greedy_step_layer(reader, current, l);
      }
      if (++epoch == 0) {
        std::fill(marks.begin(), marks.end(), 0);
        epoch = 1;
      }
      GraphReader reader(*this, code, marks, epoch);
      reader.visit(current.id);
      const std::vector<Candidate<uint32_t>> near =
          search_layer(reader, {current}, static_cast<size_t>(params_.ef_construction), 0);
      // The slot of host's level-0 list that can take a link to the island: a free one, or one whose
      // target other lists name too (replacing it leaves no node unnamed); 0 if none.
      const auto slot_of = [&](uint32_t host) -> size_t {
        const uint32_t* block = link_block(host, 0);
        if (block[0] < capacity(0)) return 1 + block[0];
        size_t slot = 0;
        for (size_t i = 1; i <= block[0]; ++i) {
          if (named[block[i]] >= 2 && (slot == 0 || named[block[i]] > named[block[slot]])) slot = i;
        }
        return slot;
      };
      uint32_t host = 0;
      size_t slot = 0;
      for (const Candidate<uint32_t>& c : near) {  // nearest first; all reached (the search walks links)
        if (!reached[c.id] || (slot = slot_of(c.id)) == 0) continue;
        host = c.id;
        break;
      }
      if (slot == 0) {
        // Every list near the island is full of links that nothing else names (many copies of few values,
        // small m): the nearest reached node anywhere that can take the link does.
        float best = std::numeric_limits<float>::infinity();
        for (uint32_t id = 0; id < n; ++id) {
          if (!reached[id] || id == island) continue;
          const float d = space_.between(code, codes_.code(id));
          size_t s = 0;
          if (d < best && (s = slot_of(id)) != 0) {
            best = d;
            host = id;
            slot = s;
          }
        }
      }
      if (slot == 0) continue;
      uint32_t* block = link_block(host, 0);
      if (slot > block[0]) {
        block[0]++;
      } else {
        named[block[slot]]--;
      }
      block[slot] = island;
      named[island]++;
      ++linked;
      walk(island);  // the island and whatever it reaches now counts as reached
    }
  }
  return linked;
}

std::vector<Candidate<uint32_t>> Graph::search(const QueryDistance& query, size_t k, size_t ef) const {
  if (size() == 0) return {};
  Graph& self = const_cast<Graph&>(*this);
  std::vector<uint32_t> marks(size(), 0);
  GraphReader reader(self, nullptr, marks, 1, &query);
  Candidate<uint32_t> current{query(codes_.code(entry_)), entry_};
  for (int l = max_level_; l > 0; --l) current = greedy_step_layer(reader, current, l);
  reader.visit(current.id);
  auto found = search_layer(reader, {current}, std::max(ef, k), 0);
  if (found.size() > k) found.resize(k);
  return found;
}

}  // namespace piramid::hnsw
