# medialabel build. Every target works on a fresh clone with Go 1.26;
# nothing is downloaded but Go modules.

GO      ?= go
BIN     := bin/medialabel
ADDR    ?= 127.0.0.1:8080
DB      ?= medialabel.db
PKGS    := ./...

.PHONY: all build run test test-race accept test-short bench bench-index bench-store \
	fuzz lint corpus loadtest docs speed test-turbo eval-captions eval-images clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/medialabel

# The service on $(ADDR) with the embedded store and the bundled model.
run: build
	$(BIN) serve --addr $(ADDR) --db $(DB)

# Every test: vet, the whole suite under the race detector, then the
# reference-vector acceptance checks in full (under -race they sample).
test: lint test-race accept

test-race:
	$(GO) test -race -timeout 14m $(PKGS)

accept:
	$(GO) test -count=1 -run 'TestReferenceVectors|TestPhotos|TestGolden' ./fingerprint

test-short:
	$(GO) test -short $(PKGS)

# Go benchmarks of every hot path (decode, luma, filter, DCT, pipeline,
# index, store, classifier), five runs each for benchstat.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 $(PKGS)

# Index benchmarks at 1M and 10M PDQ hashes and matcher start-up from a
# 10M-entry store (about 5 min, 4 GB of memory, 1.4 GB of disk in /tmp).
bench-index:
	MEDIALABEL_INDEX_SCALE=1000000,10000000 $(GO) test -run '^TestScale$$' -v -timeout 60m ./index/
	$(GO) test -run '^$$' -bench . -benchtime 300x ./index/
	MEDIALABEL_MATCHER_STARTUP=10000000 $(GO) test -run '^TestStartup$$' -v -timeout 60m ./matcher/

# Whole-process hashing speed against libjpeg-turbo's djpeg: CPU time,
# medians of 7 runs, pure Go and libjpeg-turbo, full and fast modes
# (about 4 min; needs Debian's libjpeg-turbo-progs and libturbojpeg0-dev).
speed:
	$(GO) build -o bin/medialabel ./cmd/medialabel
	$(GO) build -tags turbo -o bin/medialabel-turbo ./cmd/medialabel
	nice $(GO) run -tags turbo ./pdq/internal/speedcheck -runs 7 -pipelines std,fork,fast512,turbo,turbo512 \
		-cli bin/medialabel -cli-turbo bin/medialabel-turbo testdata/photos

# The libjpeg-turbo build (-tags turbo; needs Debian's libturbojpeg0-dev).
test-turbo:
	$(GO) test -tags turbo ./jpegturbo ./imagefile ./fingerprint

# Every caption metric of the model card: COLD test, the held-out
# dehumanization split, the evaluation-only sets in ../shared when present,
# latency.
eval-captions: build
	sh model/eval-captions.sh $(BIN)

# The meme robustness harness: every edit family on the photos and PDQ
# reference pictures, recall and false matches per signal and step, written
# to docs/robustness.md with its plots (about 12 min).
eval-images:
	$(GO) test ./memeeval -run TestFullEvaluation -full -timeout 3h -v

# Store import and start-up scan.
bench-store:
	$(GO) test -run '^$$' -bench 'Import|ScanHashes' -benchtime 300000x -count 3 ./hashdb ./hashlist

# Coverage-guided fuzzing of every decoder and parser that takes outside
# input: each Fuzz function of every package in turn, FUZZTIME each.
FUZZTIME ?= 30s
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

lint:
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi

# Regenerate the caption corpus splits and their README counts from the
# hand-written batches.
corpus:
	$(GO) run ./corpus/internal/gen

# The command reference in docs/cli, generated from the commands' help.
docs:
	$(GO) test ./cmd/medialabel -run TestCLIDocs -update

clean:
	rm -rf bin

# Measures the service on loopback: /v1/label against the in-process
# baseline, /v1/match by hash, and a flood of 20 MB uploads (about 5 min).
loadtest: build
	$(GO) run ./loadtest/cmd/medialabel-load -serve $(BIN)
