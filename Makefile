# The front door. `make test` on a fresh Debian 12 machine installs what is
# missing, builds, and runs every test (unit, golden, CLI, host integration).

BUILD ?= build
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo
JOBS ?= $(shell nproc)
RADFLARE = $(BUILD)/radflare

.PHONY: all build deps test unit-test deb docs demo demo-vm demo-host image image-local bench clean

all: build

deps:
	scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

# Everything, the way CI runs it.
test: deps build
	cd $(BUILD) && ctest --output-on-failure --timeout 1500 -j2

# Only the fast tests (no real Orthanc/PostgreSQL/nginx/Chromium).
unit-test: build
	cd $(BUILD) && ctest --output-on-failure -LE integration

deb: build
	cd $(BUILD) && cpack -G DEB

# docs/configuration.md is generated from the schema table.
docs: build
	$(RADFLARE) schema > docs/configuration.md

# The appliance booted (provisioned rootfs, systemd-nspawn), a sample study
# stored, its URLs printed. demo-host: the same stack on this machine's
# loopback without systemd (rendered configs, real PostgreSQL/Orthanc/nginx).
demo: deps build
	tests/appliance/demo.sh $(RADFLARE) $(CURDIR)

# The same under qemu: the Packer-built qcow2 (make image-local), ports on 127.0.0.1.
demo-vm: deps build
	tests/vm/demo_vm.sh $(RADFLARE) $(CURDIR)

demo-host: deps build
	tests/integration/demo.sh $(RADFLARE) $(CURDIR)

# The appliance image (image/): one Packer template, two sources.
# image-local: the local twin in build/image/ (radflare.qcow2 + vmlinuz +
#   initrd.img), Packer's qemu source under TCG; every layer cached by a hash
#   of its inputs (a rerun without changes does not start Packer).
# image: the AMI on AWS (credentials + AWS CLI; PACKER_VARS='-var region=...').
NEWEST_DEB = "$$(ls -t $(BUILD)/radflare_*.deb | head -n 1)"
image-local: deps deb
	image/build-local.sh --deb $(NEWEST_DEB)

image: deps deb
	image/build-aws.sh --deb $(NEWEST_DEB) $(PACKER_VARS)

# The appliance against the seed's configuration and direct Orthanc, side by
# side on this machine (~12 min), then the booted appliance itself (boot,
# reloads, status page: ~3 min once `make test` built its rootfs); the tables
# land in bench/results/DATE.md (DATE-b.md for a second run that day). Not a test.
bench: deps build
	bash bench/bench.sh $(RADFLARE) $(CURDIR)
	bash bench/appliance.sh $(RADFLARE) $(CURDIR)

clean:
	rm -rf $(BUILD)
