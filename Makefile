# medialabel build. Every target works on a fresh clone with Go 1.26;
# nothing is downloaded but Go modules.

GO      ?= go
BIN     := bin/medialabel
ADDR    ?= 127.0.0.1:8080
DB      ?= medialabel.db
PKGS    := ./...

.PHONY: all build run test test-short bench lint fuzz clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/medialabel

run: build
	$(BIN) serve --addr $(ADDR) --db $(DB)

# The whole suite: vet, then every test under the race detector.
test:
	$(GO) vet $(PKGS)
	$(GO) test -race -timeout 12m $(PKGS)

test-short:
	$(GO) test -short $(PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 $(PKGS)

lint:
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi

clean:
	rm -rf bin
