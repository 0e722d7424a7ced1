// ivf index scans (ORDER BY col <op> query): probe the nearest lists, rank their entries, re-rank
// quantized candidates exactly, return heap TIDs nearest first.
#pragma once

#include "pg/ivf/options.h"

extern "C" {
#include "access/amapi.h"
#include "access/relscan.h"
}

namespace piramid::pg::ivf {

IndexScanDesc begin_scan(Relation index, int nkeys, int norderbys, Flavor flavor);
void rescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys, int norderbys);
bool get_tuple(IndexScanDesc scan, ScanDirection direction);
void end_scan(IndexScanDesc scan);

}  // namespace piramid::pg::ivf
