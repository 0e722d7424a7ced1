#include "pg/am/validate.h"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_amop.h"
#include "catalog/pg_amproc.h"
#include "catalog/pg_opclass.h"
#include "catalog/pg_type.h"
#include "utils/catcache.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
}

namespace piramid::pg {

bool validate_ordering_opclass(Oid opclass, const char* access_method, int max_support) {
  HeapTuple tuple = SearchSysCache1(CLAOID, ObjectIdGetDatum(opclass));
  if (!HeapTupleIsValid(tuple)) elog(ERROR, "cache lookup failed for operator class %u", opclass);
  const Form_pg_opclass form = reinterpret_cast<Form_pg_opclass>(GETSTRUCT(tuple));
  const Oid family = form->opcfamily;
  const Oid type = form->opcintype;
  const char* name = pstrdup(NameStr(form->opcname));
  ReleaseSysCache(tuple);

  bool ok = true;
  bool has_support = false, has_order = false;
  CatCList* procs = SearchSysCacheList1(AMPROCNUM, ObjectIdGetDatum(family));
  for (int i = 0; i < procs->n_members; ++i) {
    const Form_pg_amproc proc = reinterpret_cast<Form_pg_amproc>(GETSTRUCT(&procs->members[i]->tuple));
    if (proc->amproclefttype != type) continue;
    if (proc->amprocnum == 1) {
      has_support = true;
    } else if (proc->amprocnum < 1 || proc->amprocnum > max_support) {
      ereport(INFO, (errmsg("%s operator class \"%s\" has an unsupported support function number %d", access_method,
                            name, proc->amprocnum)));
      ok = false;
    }
  }
  ReleaseCatCacheList(procs);
  CatCList* ops = SearchSysCacheList1(AMOPSTRATEGY, ObjectIdGetDatum(family));
  for (int i = 0; i < ops->n_members; ++i) {
    const Form_pg_amop op = reinterpret_cast<Form_pg_amop>(GETSTRUCT(&ops->members[i]->tuple));
    if (op->amoplefttype != type) continue;
    if (op->amopstrategy == 1 && op->amoppurpose == AMOP_ORDER && get_op_rettype(op->amopopr) == FLOAT8OID) {
      has_order = true;
    } else {
      ereport(INFO, (errmsg("%s operator class \"%s\" has an unsupported operator %u (strategy %d)", access_method,
                            name, op->amopopr, op->amopstrategy)));
      ok = false;
    }
  }
  ReleaseCatCacheList(ops);
  if (!has_support) {
    ereport(INFO, (errmsg("%s operator class \"%s\" lacks support function 1", access_method, name)));
    ok = false;
  }
  if (!has_order) {
    ereport(INFO, (errmsg("%s operator class \"%s\" lacks an ordering operator returning double precision",
                          access_method, name)));
    ok = false;
  }
  return ok;
}

}  // namespace piramid::pg
