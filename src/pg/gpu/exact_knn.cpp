// piramid_exact_knn_batch(table, column, queries vector[], k, metric): brute-force k nearest neighbours of each
// query among a table's vector or halfvec column, through the compute backend interface: on the GPU when
// piramid.gpu allows it, else on the CPU. Rows stream from a heap scan into the backend in chunks.
//
// The functions here call Postgres and so keep plain-data frames (DESIGN.md section 3.2): palloc'd
// buffers, C structs, and backend handles freed by their resource owner if an error escapes.
#include "pg/gpu/compute.h"
#include "pg/guard.h"
#include "pg/types/vector_types.h"
#include "piramid/compute/backend.h"
#include "piramid/half.h"

extern "C" {
#include "access/relation.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"
}

#include <cmath>
#include <cstring>

namespace piramid::pg {
namespace {

constexpr size_t kChunkBytes = size_t{64} << 20;  // base vectors handed to the backend per call

struct KnnJob {
  Relation rel;
  AttrNumber attnum;
  bool half;       // the column is halfvec
  int dim;
  int64 nq;
  int k;
  int metric;      // pmd_metric
  float* queries;  // nq x dim
  int64* ids;      // out: nq x k
  double* distances;
};

int parse_metric(const char* name) {
  if (strcmp(name, "l2") == 0 || strcmp(name, "euclidean") == 0 || strcmp(name, "<->") == 0) return PMD_METRIC_L2;
  if (strcmp(name, "ip") == 0 || strcmp(name, "inner_product") == 0 || strcmp(name, "<#>") == 0) {
    return PMD_METRIC_INNER_PRODUCT;
  }
  if (strcmp(name, "cosine") == 0 || strcmp(name, "<=>") == 0) return PMD_METRIC_COSINE;
  ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown distance \"%s\"", name),
                  errhint("Use l2 (<->), ip (<#>, negative inner product) or cosine (<=>).")));
  return -1;
}

// Whether `type` is the type named `name` in the schema of `vector_type`.
bool is_sibling_type(Oid type, Oid vector_type, const char* name) {
  HeapTuple t = SearchSysCache1(TYPEOID, ObjectIdGetDatum(type));
  HeapTuple v = SearchSysCache1(TYPEOID, ObjectIdGetDatum(vector_type));
  bool same = false;
  if (HeapTupleIsValid(t) && HeapTupleIsValid(v)) {
    auto* tf = reinterpret_cast<Form_pg_type>(GETSTRUCT(t));
    auto* vf = reinterpret_cast<Form_pg_type>(GETSTRUCT(v));
    same = tf->typnamespace == vf->typnamespace && strcmp(NameStr(tf->typname), name) == 0;
  }
  if (HeapTupleIsValid(t)) ReleaseSysCache(t);
  if (HeapTupleIsValid(v)) ReleaseSysCache(v);
  return same;
}

// Opens the table and finds the column, checking privileges, relation kind, row security and type.
void open_table(FunctionCallInfo fcinfo, KnnJob* job, Oid vector_type) {
  const Oid relid = PG_GETARG_OID(0);
  const char* column = NameStr(*PG_GETARG_NAME(1));
  job->rel = relation_open(relid, AccessShareLock);
  const char kind = job->rel->rd_rel->relkind;
  if (kind != RELKIND_RELATION && kind != RELKIND_MATVIEW) {
    ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
                    errmsg("\"%s\" is not a table or materialized view", RelationGetRelationName(job->rel)),
                    kind == RELKIND_PARTITIONED_TABLE ? errhint("Search each partition.") : 0));
  }
  job->attnum = get_attnum(relid, column);
  if (job->attnum == InvalidAttrNumber) {
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN), errmsg("column \"%s\" of relation \"%s\" does not exist",
                                                              column, RelationGetRelationName(job->rel))));
  }
  if (job->attnum < 0) {
    ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE), errmsg("column \"%s\" is a system column", column)));
  }
  if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK &&
      pg_attribute_aclcheck(relid, job->attnum, GetUserId(), ACL_SELECT) != ACLCHECK_OK) {
    aclcheck_error(ACLCHECK_NO_PRIV, get_relkind_objtype(kind), RelationGetRelationName(job->rel));
  }
  // The scan reads the heap directly, so it would bypass row-level security policies.
  if (check_enable_rls(relid, InvalidOid, false) == RLS_ENABLED) {
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("exact k-NN search does not support \"%s\", which has row-level security enabled",
                           RelationGetRelationName(job->rel)),
                    errhint("Use ORDER BY ... LIMIT in a query, which applies the policies.")));
  }
  const Oid type = get_atttype(relid, job->attnum);
  if (type == vector_type) {
    job->half = false;
  } else if (is_sibling_type(type, vector_type, "halfvec")) {
    job->half = true;
  } else {
    ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                    errmsg("column \"%s\" is of type %s, not vector or halfvec", column, format_type_be(type))));
  }
}

// Copies the query vectors into job->queries (rounded to half precision for a halfvec column, as a
// halfvec comparison would round them).
void read_queries(FunctionCallInfo fcinfo, KnnJob* job, Oid vector_type) {
  ArrayType* array = PG_GETARG_ARRAYTYPE_P(2);
  int16 typlen;
  bool typbyval;
  char typalign;
  get_typlenbyvalalign(vector_type, &typlen, &typbyval, &typalign);
  Datum* elems;
  bool* nulls;
  int count;
  deconstruct_array(array, vector_type, typlen, typbyval, typalign, &elems, &nulls, &count);
  job->nq = count;
  job->dim = 0;
  for (int q = 0; q < count; ++q) {
    if (nulls[q]) ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("query vector %d is NULL", q + 1)));
    const Vector* v = reinterpret_cast<const Vector*>(PG_DETOAST_DATUM(elems[q]));
    if (q == 0) {
      job->dim = v->dim;
      job->queries = static_cast<float*>(palloc(sizeof(float) * static_cast<size_t>(count) * v->dim));
    } else if (v->dim != job->dim) {
      ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
                      errmsg("query vectors have different dimensions %d and %d", job->dim, v->dim)));
    }
    float* out = job->queries + static_cast<size_t>(q) * job->dim;
    for (int j = 0; j < job->dim; ++j) {
      out[j] = job->half ? half_to_float(float_to_half(v->values()[j])) : v->values()[j];
      if (std::isinf(out[j])) {
        ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
                        errmsg("query vector %d has a value out of range for halfvec: %g", q + 1, v->values()[j])));
      }
    }
  }
}

int64 tid_to_id(const ItemPointerData* tid) {
  return (static_cast<int64>(ItemPointerGetBlockNumberNoCheck(tid)) << 16) | ItemPointerGetOffsetNumberNoCheck(tid);
}

// Rows the table holds, for the auto setting's size threshold: the planner's estimate, or its pages
// times what fits on one when the table was never analyzed.
double estimated_rows(const KnnJob* job) {
  if (job->rel->rd_rel->reltuples >= 0) return job->rel->rd_rel->reltuples;
  const double per_page = BLCKSZ / (8.0 + job->dim * (job->half ? 2.0 : 4.0) + 32.0);
  return static_cast<double>(RelationGetNumberOfBlocks(job->rel)) * per_page;
}

// One complete scan of the table through `backend`; returns its status (the message is in call).
pmd_status scan_table(const ComputeBackend& backend, KnnJob* job, pmd_call* call) {
  const pmd_compute_api* api = backend.api;
  pmd_knn* knn = nullptr;
  pmd_status st = api->knn_begin(job->queries, job->nq, job->dim, job->metric, job->k, &knn, call);
  if (st != PMD_OK) return st;
  remember_knn(api, knn);

  const size_t elem = job->half ? sizeof(uint16) : sizeof(float);
  const size_t row_bytes = elem * static_cast<size_t>(job->dim);
  const int64 chunk_rows = static_cast<int64>(kChunkBytes / row_bytes > 0 ? kChunkBytes / row_bytes : 1);
  char* chunk = static_cast<char*>(palloc(row_bytes * static_cast<size_t>(chunk_rows)));
  int64* ids = static_cast<int64*>(palloc(sizeof(int64) * static_cast<size_t>(chunk_rows)));
  MemoryContext detoast = AllocSetContextCreate(CurrentMemoryContext, "piramid exact k-NN rows", ALLOCSET_DEFAULT_SIZES);
  TableScanDesc scan = table_beginscan(job->rel, GetActiveSnapshot(), 0, nullptr);
  TupleTableSlot* slot = table_slot_create(job->rel, nullptr);
  int64 count = 0;
  while (st == PMD_OK && table_scan_getnextslot(scan, ForwardScanDirection, slot)) {
    CHECK_FOR_INTERRUPTS();
    bool isnull;
    const Datum value = slot_getattr(slot, job->attnum, &isnull);
    if (isnull) continue;  // a NULL vector has no distance
    MemoryContext old = MemoryContextSwitchTo(detoast);
    const auto* v = reinterpret_cast<const DenseVector<char>*>(PG_DETOAST_DATUM(value));
    MemoryContextSwitchTo(old);
    if (v->dim != job->dim) {
      ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
                      errmsg("different vector dimensions %d and %d", job->dim, static_cast<int>(v->dim)),
                      errdetail("The row at %s has %d dimensions.",
                                DatumGetCString(DirectFunctionCall1(tidout, PointerGetDatum(&slot->tts_tid))),
                                static_cast<int>(v->dim))));
    }
    std::memcpy(chunk + row_bytes * static_cast<size_t>(count), v->values(), row_bytes);
    ids[count++] = tid_to_id(&slot->tts_tid);
    if (count == chunk_rows) {
      st = api->knn_add(knn, chunk, job->half ? PMD_F16 : PMD_F32, count, ids, call);
      count = 0;
      MemoryContextReset(detoast);
    }
  }
  if (st == PMD_OK && count > 0) st = api->knn_add(knn, chunk, job->half ? PMD_F16 : PMD_F32, count, ids, call);
  if (st == PMD_OK) st = api->knn_result(knn, job->ids, job->distances, call);
  ExecDropSingleTupleTableSlot(slot);
  table_endscan(scan);
  MemoryContextDelete(detoast);
  pfree(chunk);
  pfree(ids);
  forget_knn(knn);
  return st;
}

void emit_results(FunctionCallInfo fcinfo, const KnnJob* job) {
  InitMaterializedSRF(fcinfo, 0);
  auto* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
  for (int64 q = 0; q < job->nq; ++q) {
    for (int r = 0; r < job->k; ++r) {
      const int64 at = q * job->k + r;
      const int64 id = job->ids[at];
      if (id < 0) break;
      auto* tid = static_cast<ItemPointer>(palloc(sizeof(ItemPointerData)));
      ItemPointerSet(tid, static_cast<BlockNumber>(id >> 16), static_cast<OffsetNumber>(id & 0xffff));
      Datum values[4] = {Int32GetDatum(static_cast<int32>(q + 1)), Int32GetDatum(r + 1), PointerGetDatum(tid),
                         Float8GetDatum(job->distances[at])};
      bool nulls[4] = {false, false, false, false};
      tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
  }
}

}  // namespace
}  // namespace piramid::pg

using namespace piramid::pg;

// piramid_exact_knn_batch(tbl regclass, col name, queries vector[], k int, metric text)
//   -> setof (query int, rank int, tid tid, distance float8); piramid_exact_knn(..., query vector, ...) is SQL
// over it (sql/install/60_gpu.sql).
PIRAMID_FUNCTION(piramid_exact_knn) {
  KnnJob job;
  std::memset(&job, 0, sizeof job);
  const Oid array_type = get_fn_expr_argtype(fcinfo->flinfo, 2);
  const Oid vector_type = OidIsValid(array_type) ? get_element_type(array_type) : InvalidOid;
  if (!OidIsValid(vector_type)) elog(ERROR, "piramid_exact_knn: cannot determine the vector type");
  job.k = PG_GETARG_INT32(3);
  if (job.k < 1) {
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("k must be at least 1, not %d", job.k)));
  }
  job.metric = parse_metric(text_to_cstring(PG_GETARG_TEXT_PP(4)));
  open_table(fcinfo, &job, vector_type);
  read_queries(fcinfo, &job, vector_type);
  if (job.nq > 0) {
    if (static_cast<double>(job.nq) * job.k * sizeof(int64) > MaxAllocSize) {
      ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                      errmsg("%lld queries with k = %d are too many results for one call",
                             static_cast<long long>(job.nq), job.k)));
    }
    job.ids = static_cast<int64*>(palloc(sizeof(int64) * job.nq * job.k));
    job.distances = static_cast<double*>(palloc(sizeof(double) * job.nq * job.k));
    ComputeBackend backend = choose_compute_backend("exact k-NN", estimated_rows(&job));
    pmd_call call;
    for (;;) {
      init_postgres_call(&call, query_compute_threads());
      const pmd_status st = scan_table(backend, &job, &call);
      if (st == PMD_OK) break;
      if (backend.gpu && gpu_failure_falls_back("exact k-NN", st, call)) {
        backend = ComputeBackend{piramid::cpu_compute_api(), false};
        continue;
      }
      piramid::throw_if_failed(st, call, "exact k-NN search");
    }
    count_compute_job(backend);
    elog(DEBUG1, "piramid: exact k-NN of %lld queries ran on the %s", static_cast<long long>(job.nq),
         backend.gpu ? "GPU" : "CPU");
  }
  emit_results(fcinfo, &job);
  relation_close(job.rel, AccessShareLock);
  return (Datum)0;
}
