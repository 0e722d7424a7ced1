// The one way glue code includes Postgres: its headers have no extern "C" guards of their own.
// postgres.h must come first in every glue translation unit, so this header is included first.
#pragma once

extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
}
