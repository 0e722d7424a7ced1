// GPU k-NN handles owned by resource owners. A handle lives across Postgres calls that may raise an
// error (reading the table between chunks), so its device memory cannot be freed by a C++ destructor;
// instead the resource owner that was current when it was made frees it when released, which Postgres
// does on commit, abort (error, cancel, timeout) and subtransaction end alike.
#include "pg/gpu/compute.h"

extern "C" {
#include "utils/memutils.h"
#include "utils/resowner.h"
}

namespace piramid::pg {
namespace {

struct Tracked {
  const pmd_compute_api* api;
  pmd_knn* knn;
  ResourceOwner owner;
  Tracked* next;
};

Tracked* tracked = nullptr;
bool callback_registered = false;

void release_callback(ResourceReleasePhase phase, bool is_commit, bool, void*) {
  if (phase != RESOURCE_RELEASE_BEFORE_LOCKS) return;
  bool freed = false;
  const pmd_compute_api* api = nullptr;
  for (Tracked** link = &tracked; *link != nullptr;) {
    Tracked* t = *link;
    // Postgres makes the owner being released current while it calls us.
    if (t->owner != CurrentResourceOwner) {
      link = &t->next;
      continue;
    }
    if (is_commit) elog(WARNING, "piramid: GPU k-NN search handle was not closed; freeing it");
    *link = t->next;
    t->api->knn_free(t->knn);
    api = t->api;
    pfree(t);
    freed = true;
  }
  // After an error the library may still hold cached device memory; hand it back too.
  if (freed && !is_commit) api->release_cached();
}

}  // namespace

void remember_knn(const pmd_compute_api* api, pmd_knn* knn) {
  if (!callback_registered) {
    RegisterResourceReleaseCallback(release_callback, nullptr);
    callback_registered = true;
  }
  auto* t = static_cast<Tracked*>(MemoryContextAlloc(TopMemoryContext, sizeof(Tracked)));
  *t = Tracked{api, knn, CurrentResourceOwner, tracked};
  tracked = t;
}

void forget_knn(pmd_knn* knn) {
  for (Tracked** link = &tracked; *link != nullptr; link = &(*link)->next) {
    Tracked* t = *link;
    if (t->knn != knn) continue;
    *link = t->next;
    t->api->knn_free(t->knn);
    pfree(t);
    return;
  }
}

int open_knn_count() {
  int n = 0;
  for (const Tracked* t = tracked; t != nullptr; t = t->next) ++n;
  return n;
}

}  // namespace piramid::pg
