# piramid: PGXS build of the extension (piramid.so + install script), plus helper targets for the core's
# unit tests (CMake). See README.md; scripts/test runs every suite.

EXTENSION = piramid
EXTVERSION := $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" piramid.control)

MODULE_big = piramid
CORE_SRCS := $(sort $(wildcard src/core/*.cpp src/core/*/*.cpp))
PG_SRCS := $(sort $(wildcard src/pg/*.cpp src/pg/*/*.cpp))
OBJS = $(CORE_SRCS:.cpp=.o) $(PG_SRCS:.cpp=.o)

# The install script is assembled from the parts in sql/install/, in file-name order.
EXT_SQL = sql/$(EXTENSION)--$(EXTVERSION).sql
EXT_SQL_PARTS := $(sort $(wildcard sql/install/*.sql))
DATA_built = $(EXT_SQL)

# pg_regress: every sql/<name>.sql except the install script, in name order.
REGRESS := $(sort $(basename $(notdir $(filter-out sql/$(EXTENSION)--%,$(wildcard sql/*.sql)))))
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)

SHLIB_EXPORTS = src/pg/exports.txt
EXTRA_CLEAN = src/pg/exports.list build results regression.diffs regression.out

PG_CPPFLAGS = -I$(srcdir)/include -I$(srcdir)/src -I/usr/include/eigen3
# No -march=native: SIMD variants are chosen at run time (DESIGN.md section 3.9).
PG_CXXFLAGS = -std=c++17 -Wno-register -Wno-unused-parameter -Wno-missing-field-initializers
SHLIB_LINK += -lstdc++

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# LLVM bitcode for JIT inlining is compiled by clang with these flags only.
BITCODE_CXXFLAGS += -std=c++17 -Wno-register

$(EXT_SQL): $(EXT_SQL_PARTS) piramid.control
	cat $(EXT_SQL_PARTS) > $@

# Every object depends on every header: simple and correct for a tree this size.
HEADERS := $(wildcard include/piramid/*.h include/piramid/*/*.h src/core/*.h src/core/*/*.h src/pg/*.h src/pg/*/*.h)
$(OBJS): $(HEADERS)

.PHONY: unittest
unittest:
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build -j $(shell nproc)
	cd build && ctest --output-on-failure

# ---- compute layer: per-instruction-set GEMM objects (src/core/compute/gemm.h picks one at run time) ----
ifneq ($(filter x86_64 amd64,$(shell uname -m)),)
src/core/compute/gemm_avx2.o: override CXXFLAGS += -mavx2 -mfma -mf16c
src/core/compute/gemm_avx512.o: override CXXFLAGS += -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx2 -mfma -mf16c
endif

# ---- GPU library (optional; see gpu/README.md) ----------------------------------------------------------
# piramid_gpu.so is built by nvcc only on request (make gpu, make install-gpu) and only where nvcc exists;
# the extension never needs it. The no-device stub (gpu/stub) is a plain C++ library the SQL tests load
# through piramid.gpu_library, so it is built and installed with the extension.
NVCC ?= $(firstword $(shell command -v nvcc 2>/dev/null) $(wildcard /usr/local/cuda/bin/nvcc))
GPU_STUB = gpu/stub/piramid_gpu_stub$(DLSUFFIX)
.PHONY: gpu install-gpu install-gpu-stub uninstall-gpu clean-gpu
all: $(GPU_STUB)
install: install-gpu-stub
uninstall: uninstall-gpu
clean: clean-gpu
$(GPU_STUB): gpu/stub/no_device.cpp include/piramid/compute/backend_api.h
	$(CXX) -std=c++17 -O2 -Wall -fPIC -shared -fvisibility=hidden -Iinclude -o $@ $<
install-gpu-stub: $(GPU_STUB) installdirs
	$(INSTALL_SHLIB) $(GPU_STUB) '$(DESTDIR)$(pkglibdir)/piramid_gpu_stub$(DLSUFFIX)'
gpu:
ifeq ($(NVCC),)
	@echo "nvcc not found: piramid_gpu.so is not built (the extension runs without it)"
else
	$(MAKE) -C gpu NVCC=$(NVCC)
endif
install-gpu: gpu installdirs
ifneq ($(NVCC),)
	$(INSTALL_SHLIB) gpu/piramid_gpu$(DLSUFFIX) '$(DESTDIR)$(pkglibdir)/piramid_gpu$(DLSUFFIX)'
endif
uninstall-gpu:
	rm -f '$(DESTDIR)$(pkglibdir)/piramid_gpu$(DLSUFFIX)' '$(DESTDIR)$(pkglibdir)/piramid_gpu_stub$(DLSUFFIX)'
clean-gpu:
	rm -f $(GPU_STUB)
	$(MAKE) -C gpu clean
