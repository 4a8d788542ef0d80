# xai: the one build entry point.  See README.md.
#
#   make            libxai.a, libxai.so and the xai binary (in build/)
#   make deps       install missing Debian packages (apt-get, only if needed)
#   make check      deps, build, run every test
#   make demo       deps, build, audit the bundled credit model: writes
#                   examples/credit/report.pdf (and audit.json), with the
#                   recourse section (about 37 s of CPU time)
#   make demo-trees the same audit of the credit example's XGBoost model
#                   (examples/credit/model_xgb.json, with treeshap): writes
#                   examples/credit/report_trees.pdf (and audit_trees.json)
#   make demo-backdoor  the backdoor scan of the planted-trigger digits CNN:
#                   writes examples/backdoor/report.pdf, scan.json, png/
#   make asan       the tests built with -fsanitize=address,undefined
#   make install    PREFIX=/usr/local DESTDIR=   (make uninstall undoes it)
#   make bench      build and run the benchmarks under bench/
#   make fuzz       libFuzzer targets in build-fuzz/ (clang; see tests/fuzz/)
#   make mutate     mutation testing of the library against the tests
#                   (tools/mutate/; not part of check or CI)

PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
CC ?= cc

# Debian packages needed to build and test (see DESIGN.md).
DEB_PACKAGES = gcc make pkg-config libopenblas-dev liblapacke-dev libcsv-dev \
  libhpdf-dev libprotobuf-c-dev protobuf-c-compiler libpng-dev libssl-dev \
  libcmocka-dev qpdf poppler-utils fonts-dejavu-core python3 python3-numpy \
  libopenmpi-dev openmpi-bin

# pkg-config modules; libcsv and libharu ship no .pc file.
PC_MODULES = openblas lapacke libpng libprotobuf-c libcrypto
PC_CFLAGS := $(shell pkg-config --cflags $(PC_MODULES) 2>/dev/null)
PC_LIBS := $(shell pkg-config --libs $(PC_MODULES) 2>/dev/null)
CMOCKA_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

VERSION := $(shell sed -n 's/^#define XAI_VERSION_STRING "\(.*\)"/\1/p' include/xai/base.h)
SOMAJOR := $(shell sed -n 's/^#define XAI_VERSION_MAJOR //p' include/xai/base.h)

OPT ?= -O2
SANITIZE ?=
CFLAGS_BASE = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(OPT) -g \
  -Wall -Wextra -fPIC -fopenmp $(SANITIZE)
CPPFLAGS_ALL = -Iinclude -I. -I$(BUILD)/gen $(PC_CFLAGS)
LDLIBS_ALL = $(PC_LIBS) -lcsv -lhpdf -lm -ldl -fopenmp $(SANITIZE)

# The xai binary joins MPI (cli/mpi_shard.c, the only MPI user) when mpicc
# is present, or with MPI=1; MPI=0 builds the one-rank stub.  The library
# never depends on MPI.
MPI ?= $(if $(shell command -v mpicc 2>/dev/null),1,0)
ifeq ($(MPI),1)
MPI_CFLAGS := -DXAI_WITH_MPI $(shell mpicc --showme:compile 2>/dev/null)
MPI_LIBS := $(shell mpicc --showme:link 2>/dev/null)
endif

PROTOS := $(wildcard core/*.proto)
GEN_C := $(patsubst core/%.proto,$(BUILD)/gen/%.pb-c.c,$(PROTOS))
GEN_H := $(GEN_C:.c=.h)
LIB_SRC := $(wildcard core/*.c explainers/*.c audit/*.c recourse/*.c backdoor/*.c reports/*.c)
LIB_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRC)) \
  $(patsubst $(BUILD)/gen/%.c,$(BUILD)/obj/gen/%.o,$(GEN_C))
CLI_SRC := $(wildcard cli/*.c)
CLI_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(CLI_SRC))
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
TEST_SUPPORT := $(wildcard tests/support/*.c)
TEST_SUPPORT_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(TEST_SUPPORT))
BENCH_SRC := $(wildcard bench/bench_*.c)
BENCH_BIN := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
EXAMPLE_PLUGINS := $(patsubst examples/plugin/%.c,$(BUILD)/examples/%.so,$(wildcard examples/plugin/*.c))
EXAMPLE_PROGRAMS := $(patsubst examples/api/%.c,$(BUILD)/examples/%,$(wildcard examples/api/*.c))

.PHONY: all deps check test asan install uninstall bench clean demo demo-trees demo-backdoor fuzz mutate
.SECONDARY: $(GEN_C) $(GEN_H) $(TEST_SUPPORT_OBJ)
.DELETE_ON_ERROR:

all: $(BUILD)/libxai.a $(BUILD)/libxai.so $(BUILD)/xai $(EXAMPLE_PLUGINS) $(EXAMPLE_PROGRAMS)

$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: core/%.proto
	@mkdir -p $(BUILD)/gen
	protoc-c --proto_path=core --c_out=$(BUILD)/gen $<

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_BASE) -w -c $< -o $@

$(BUILD)/obj/%.o: %.c $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_BASE) -MMD -MP -c $< -o $@

# The batched normals' loop vectorises only when sqrt need not set errno (its
# argument is never negative).
$(BUILD)/obj/core/rng_normals.o: CFLAGS_BASE += -fno-math-errno

$(BUILD)/obj/cli/mpi_shard.o: CFLAGS_BASE += $(MPI_CFLAGS)
# test_mpi runs mpirun only when the xai binary joins MPI
$(BUILD)/tests/test_mpi: CFLAGS_BASE += -DXAI_MPI_BUILD=$(MPI)

$(BUILD)/libxai.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libxai.so: $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libxai.so.$(SOMAJOR) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/xai: $(CLI_OBJ) $(BUILD)/libxai.a
	$(CC) -o $@ $(CLI_OBJ) $(BUILD)/libxai.a $(LDLIBS_ALL) $(MPI_LIBS)

$(BUILD)/examples/%.so: examples/plugin/%.c include/xai/plugin.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_BASE) -shared -o $@ $< -lm

# Example programs use only the public headers.
$(BUILD)/examples/%: examples/api/%.c $(BUILD)/libxai.a
	@mkdir -p $(dir $@)
	$(CC) -Iinclude $(CFLAGS_BASE) -o $@ $< $(BUILD)/libxai.a $(LDLIBS_ALL)

# The test helpers are compiled once, not into every test binary.
$(BUILD)/obj/tests/support/%.o: tests/support/%.c $(wildcard tests/support/*.h) $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CMOCKA_CFLAGS) $(CFLAGS_BASE) -Itests -c $< -o $@

$(BUILD)/tests/%: tests/%.c $(TEST_SUPPORT_OBJ) $(BUILD)/libxai.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CMOCKA_CFLAGS) $(CFLAGS_BASE) -Itests -o $@ $< \
	  $(TEST_SUPPORT_OBJ) $(BUILD)/libxai.a $(CMOCKA_LIBS) $(LDLIBS_ALL)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libxai.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_BASE) -o $@ $< $(BUILD)/libxai.a $(LDLIBS_ALL)

# Installs only what is missing; a machine that has everything runs no apt-get.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' \
	    || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing; \
	else echo "deps: all packages present"; fi

# Each test binary runs from the repository root so fixture paths are stable.
test: all $(TEST_BIN)
	@bash tests/run_tests.sh $(BUILD)/tests

check: deps
	$(MAKE) test

# The bundled example: the whole German credit test set (200 rows).
DEMO_DIR = examples/credit
DEMO_ARGS = --model $(DEMO_DIR)/model.onnx --data $(DEMO_DIR)/data/test.csv \
  --label credit-risk --groups auto --seed 1 --rows 0:200 \
  --feature-labels $(DEMO_DIR)/data/features.csv --cost-matrix 5,1 \
  --group-by personal-status-sex \
  --counterfactuals "$(DEMO_CF)"
# The recourse section (examples/credit/RECOURSE.md): constraints of
# ../shared/data/german/CODES.md, validity on the 21 alternative models.
DEMO_CF = --train $(DEMO_DIR)/data/train.csv \
  --immutable personal-status-sex,foreign-worker --increasing age \
  --integer duration-months,credit-amount,age,installment-rate,residence-since,existing-credits,people-liable \
  --alt-models $(DEMO_DIR)/alt --method closest,nn,trex,trex-nn
demo: deps
	$(MAKE) all
	$(BUILD)/xai audit $(DEMO_ARGS) --out $(DEMO_DIR)/report.pdf --json $(DEMO_DIR)/audit.json

# The credit example's XGBoost model (examples/credit/README.md, "The
# XGBoost model"): explains its margin, the log-odds of credit-risk = 1, for
# every row (binary:logistic is one output, P(1); tree models default to
# --output score); no recourse section (its methods search with gradients).
TREES_ARGS = --model $(DEMO_DIR)/model_xgb.json --data $(DEMO_DIR)/data/test.csv \
  --label credit-risk --groups auto --seed 1 --rows 0:200 \
  --feature-labels $(DEMO_DIR)/data/features.csv --cost-matrix 5,1 \
  --group-by personal-status-sex
demo-trees: deps
	$(MAKE) all
	$(BUILD)/xai audit $(TREES_ARGS) --out $(DEMO_DIR)/report_trees.pdf \
	  --json $(DEMO_DIR)/audit_trees.json
# The backdoor example (examples/backdoor/README.md): SmoothInv scan of the
# backdoored digits CNN on its 239 clean evaluation images (about 5 s on 2 cores).
BD_DIR = examples/backdoor
BD_ARGS = --data $(BD_DIR)/data/clean.csv --label digit --image-shape 1,8,8 --scale 16 \
  --seed 1
demo-backdoor: deps
	$(MAKE) all
	$(BUILD)/xai backdoor --model $(BD_DIR)/model_backdoored.onnx $(BD_ARGS) \
	  --out $(BD_DIR)/report.pdf --json $(BD_DIR)/scan.json --png $(BD_DIR)/png

asan:
	$(MAKE) BUILD=build-asan OPT=-O1 \
	  SANITIZE="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" test

# libFuzzer targets (clang): the library built with fuzzer-no-link + ASan +
# UBSan into build-fuzz/, one binary per tests/fuzz/fuzz_*.c.  Run e.g.
#   build-fuzz/fuzz/fuzz_csv build-fuzz/corpus/csv $(FUZZ_SEEDS_csv)
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_SEEDS_onnx = tests/fixtures/models tests/fixtures/trees tests/fixtures/trees/bad
FUZZ_SEEDS_csv = tests/fixtures/data tests/fixtures/data/bad
FUZZ_SEEDS_png = examples/digits/png
FUZZ_SEEDS_xgb = tests/fixtures/trees
fuzz:
	$(MAKE) BUILD=build-fuzz CC=clang OPT=-O1 \
	  SANITIZE="-fsanitize=fuzzer-no-link $(FUZZ_SAN)" build-fuzz/libxai.a
	@mkdir -p build-fuzz/fuzz
	for t in onnx csv png xgb; do \
	  clang $(CPPFLAGS_ALL) $(CFLAGS_BASE) -fsanitize=fuzzer $(FUZZ_SAN) \
	    -o build-fuzz/fuzz/fuzz_$$t tests/fuzz/fuzz_$$t.c build-fuzz/libxai.a \
	    $(LDLIBS_ALL) || exit 1; \
	  mkdir -p build-fuzz/corpus/$$t; done
	@echo "run: build-fuzz/fuzz/fuzz_onnx build-fuzz/corpus/onnx $(FUZZ_SEEDS_onnx)"
	@echo "     build-fuzz/fuzz/fuzz_csv build-fuzz/corpus/csv $(FUZZ_SEEDS_csv)"
	@echo "     build-fuzz/fuzz/fuzz_png build-fuzz/corpus/png $(FUZZ_SEEDS_png)"
	@echo "     build-fuzz/fuzz/fuzz_xgb build-fuzz/corpus/xgb $(FUZZ_SEEDS_xgb)"

bench: all $(BENCH_BIN)
	@for b in $(BENCH_BIN); do echo "== $$b"; $$b || exit 1; done

install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/xai \
	  $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 $(BUILD)/libxai.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/libxai.so $(DESTDIR)$(PREFIX)/lib/libxai.so.$(VERSION)
	ln -sf libxai.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libxai.so.$(SOMAJOR)
	ln -sf libxai.so.$(SOMAJOR) $(DESTDIR)$(PREFIX)/lib/libxai.so
	install -m 644 include/xai/*.h $(DESTDIR)$(PREFIX)/include/xai/
	install -m 755 $(BUILD)/xai $(DESTDIR)$(PREFIX)/bin/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' \
	  xai.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/xai.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/lib/libxai.a $(DESTDIR)$(PREFIX)/lib/libxai.so* \
	  $(DESTDIR)$(PREFIX)/bin/xai $(DESTDIR)$(PREFIX)/lib/pkgconfig/xai.pc
	rm -rf $(DESTDIR)$(PREFIX)/include/xai

clean:
	rm -rf build build-asan build-fuzz build-mutate

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# Mutation testing (tools/mutate/mutate.py, Python 3 standard library): a
# seeded sample of MUTATE_N mutants of MUTATE_FILES, each built in its own
# tree under build-mutate/ (MUTATE_JOBS in parallel) and run against the
# tests; report in build-mutate/report.txt.
MUTATE_N ?= 60
MUTATE_SEED ?= 1
MUTATE_JOBS ?= 2
MUTATE_FILES ?= explainers/*.c audit/*.c core/ops_*.c core/graph_exec.c reports/pdf_table.c
mutate: all $(TEST_BIN)
	nice -n 10 /usr/bin/python3 tools/mutate/mutate.py -n $(MUTATE_N) --seed $(MUTATE_SEED) \
	  -j $(MUTATE_JOBS) $(MUTATE_FILES)
