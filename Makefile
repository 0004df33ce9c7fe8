# lbcheck — the two contract targets are `make demo` and `make test`.
GO ?= go
PKGS := ./...

.PHONY: all build demo conform conform-kernel test corpus bench fuzz mutants vet clean

all: build

# VERSION is stamped into the binary (lbcheck --version).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)

build:
	$(GO) build -ldflags "-X main.buildVersion=$(VERSION)" -o bin/lbcheck ./cmd/lbcheck

## demo: lint the shipped example deployment, then (as root) prove it with
## packets in network namespaces and write an HTML report to out/demo/
demo: build
	./bin/lbcheck lint fixtures/examples/
	@if [ "$$(id -u)" = 0 ]; then \
		./bin/lbcheck conform --config fixtures/examples/ --report out/demo && \
		echo "report: out/demo/report.html"; \
	else echo "lbcheck conform needs root (network namespaces): run 'sudo make demo' for the packet part"; fi

## conform: the built-in conformance suite against the reference forwarder (root)
conform: build
	./bin/lbcheck conform --target ref --report out/conform

## conform-kernel: the same suite against the second implementation of the target contract,
## built from kernel features only (fixtures/targets/kernel, root); its failing cases (exit 1)
## are expected and reported, but a target that never started (exit 2) fails make
conform-kernel: build
	./bin/lbcheck conform --target fixtures/targets/kernel/kernel.yaml --report out/conform-kernel; \
		status=$$?; [ $$status -le 1 ] || exit $$status

## test: the whole test suite (namespace tests need root and skip without it);
## lint runs its rules concurrently, so its packages also run under the race detector
test:
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -timeout 30m $(PKGS)
	$(GO) test -count=1 -race ./lint/...

## corpus: lint the real ARM quickstart templates in ../shared/corpus and compare with their
## judged findings (check.sh), then count the load balancers declared, imported and checked
CORPUS ?= ../shared/corpus/arm-quickstarts
corpus: build
	@if [ ! -d "$(CORPUS)" ]; then echo "no corpus at $(CORPUS)"; exit 1; fi
	@status=0; $(CORPUS)/check.sh $(CURDIR)/bin/lbcheck || status=1; \
		out=$$($(GO) test -count=1 -run '^TestCorpusLoadBalancers$$' -v ./lint/rules/ 2>&1) || status=1; \
		echo "$$out" | grep -E 'corpus:|_test.go|^(--- |FAIL|ok)'; exit $$status

## bench: every benchmark, figures printed; BenchmarkLint compares lbcheck with cue vet on the same data
bench: build bin/cue
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

## bin/cue: the cue CLI at the version lbcheck embeds, for the lint benchmark
bin/cue:
	GOBIN=$(CURDIR)/bin $(GO) install cuelang.org/go/cmd/cue@$$($(GO) list -m -f '{{.Version}}' cuelang.org/go)

## mutants: build every forwarder mutant (conformance/mutants) and run the whole suite
## against each (root; about a minute per mutant); prints which cases catch which mutant
mutants:
	LBCHECK_MUTANT_SCORE=1 $(GO) test -count=1 -timeout 60m -run '^TestMutantScore$$' -v ./conformance/mutants/ | grep -vE '^(=== RUN|--- PASS|PASS)'

## fuzz: run each fuzz target for FUZZTIME (default 30s). A failure that wrote
## no failing input is Go 1.26's fuzz coordinator stopping late at the
## -fuzztime deadline (go.dev/issue/75804, fixed in Go 1.27): retried once.
FUZZTIME ?= 30s
fuzz:
	@$(GO) list -f '{{.ImportPath}} {{.Dir}}' $(PKGS) | while read pkg dir; do \
		for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
			echo "== $$pkg $$f"; \
			for try in 1 2; do \
				out=$$($(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) $$pkg 2>&1) && { echo "$$out"; break; }; \
				echo "$$out"; \
				if [ $$try = 2 ] || echo "$$out" | grep -q 'Failing input written to'; then exit 1; fi; \
				echo "(no failing input written: the fuzz engine's deadline race, go.dev/issue/75804; retrying)"; \
			done; \
		done; \
	done

vet:
	$(GO) vet $(PKGS)

clean:
	rm -rf bin out
