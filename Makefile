# cunyou — make targets. Two commands set everything up: `make run`, `make test`.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
BIN      := bin
DEMO     ?= demo-data
# The race detector needs cgo and a C compiler; without them tests run without it.
RACE     := $(shell CGO_ENABLED=1 $(GO) env CGO_ENABLED 2>/dev/null | grep -q 1 && command -v gcc >/dev/null && echo -race)

.PHONY: all build cross test vet bench soak run clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/cunyou-edge ./edge/cmd/cunyou-edge
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/cunyou-hub ./hub/cmd/cunyou-hub

cross:
	CGO_ENABLED=0 GOOS=linux   GOARCH=amd64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/linux-amd64/cunyou-edge ./edge/cmd/cunyou-edge
	CGO_ENABLED=0 GOOS=linux   GOARCH=arm64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/linux-arm64/cunyou-edge ./edge/cmd/cunyou-edge
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/windows-amd64/cunyou-edge.exe ./edge/cmd/cunyou-edge
	@ls -l dist/*/cunyou-edge*

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

test: vet
	$(GO) test $(RACE) -count=1 -timeout 12m ./...

# Benchmarks against DESIGN §7: one table on the terminal, bench-results.json beside it.
bench: build
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 20m ./... | tee $(BIN)/bench.out
	$(GO) run ./tools/benchreport -in $(BIN)/bench.out -edge $(BIN)/cunyou-edge -json bench-results.json

# The long property run of sync under injected faults: SOAK seeds (default 300).
SOAK ?= 300
soak:
	CUNYOU_SOAK=$(SOAK) $(GO) test -count=1 -timeout 120m -run TestSyncConvergesUnderFaults ./systest/

# The demo county: a hub and two stations with demo data on loopback, syncing.
run: build
	@$(GO) run ./tools/demo -bin $(BIN) -data $(DEMO)

clean:
	rm -rf $(BIN) dist bench-results.json
