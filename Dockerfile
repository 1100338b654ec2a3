# xdperf from source, in two stages: a builder with every toolchain `make build` needs (Rust for
# the native core, clang for its BPF programs and the C plugin, Go for the Go plugins, Node for
# the controller and the AssemblyScript plugin), and a runtime of Node 20 and what `make build`
# made, nothing else.
#
#   docker build -t xdperf .
#   docker run --rm xdperf --version
#   docker run --rm --network host --cap-add NET_ADMIN --cap-add NET_RAW --cap-add BPF \
#       --cap-add PERFMON --cap-add IPC_LOCK xdperf run ...
#
# Sending and receiving need the host's network and these capabilities (docs/multi-host.md says
# which does what, and what to do where Docker does not know BPF and PERFMON).

ARG NODE_VERSION=20

# --- builder ---------------------------------------------------------------------------------
# node:20-bookworm is buildpack-deps:bookworm underneath: gcc, make, python3 (node-gyp, for the
# optional raw-socket addon), curl and git are there already; they are named below all the same.
FROM node:${NODE_VERSION}-bookworm AS build

# The Debian packages scripts/install-deps.sh installs for a build (not tshark and iproute2: the
# tests' tools). Bookworm's clang is 14, hence libclang-rt-14-dev-wasm32.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        clang lld wasi-libc libclang-rt-14-dev-wasm32 libbpf-dev linux-libc-dev \
        ca-certificates curl git g++ make python3 \
    && rm -rf /var/lib/apt/lists/*

# Rust, with rustup, as the README asks; the minimal profile (no docs, no clippy: nothing lints here).
ARG RUST_VERSION=stable
ENV RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo PATH=/usr/local/cargo/bin:$PATH
RUN url="https://static.rust-lang.org/rustup/dist/$(uname -m)-unknown-linux-gnu/rustup-init" \
    && curl -fsSL -o /tmp/rustup-init "$url" \
    && echo "$(curl -fsSL "$url.sha256" | cut -c1-64)  /tmp/rustup-init" | sha256sum -c - \
    && chmod +x /tmp/rustup-init \
    && /tmp/rustup-init -y -q --no-modify-path --profile minimal --default-toolchain "$RUST_VERSION" \
    && rm /tmp/rustup-init \
    && cargo --version

WORKDIR /src

# Go >= 1.24 for the Go plugins: the toolchain the repository pins, fetched from the Go module
# proxy by the same script a plain `make deps` uses, so the image and a checkout build alike.
COPY scripts/find-go.sh scripts/
RUN scripts/find-go.sh --install

# npm packages first, so that a change to the sources does not fetch them again. node-gyp (for
# raw-socket) takes Node's headers from the image instead of downloading them.
ENV npm_config_nodedir=/usr/local
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund --loglevel=error

COPY . .
# XDPERF_GO_COMPILER=go: fail rather than skip the Go plugins if Go went missing.
RUN XDPERF_GO_COMPILER=go make build

# What runs, and only that: the controller (dist/src and the two JSON Schemas it reads at run
# time), the native core and its loader, the plugins, and the production npm packages.
RUN npm prune --omit=dev --no-audit --no-fund --loglevel=error \
    && mkdir -p /opt/xdperf \
    && cp -a --parents package.json dist/src \
        src/config/profile.schema.json src/plugin/generator-response.schema.json \
        native/package.json native/index.js native/index.d.ts native/*.node \
        plugins/*/out/*.wasm node_modules /opt/xdperf/ \
    && find /opt/xdperf/dist -name '*.map' -delete \
    && find /opt/xdperf/node_modules -mindepth 1 -maxdepth 1 -type d -empty -delete

# --- runtime ---------------------------------------------------------------------------------
# The same Node major and Debian release as the builder: raw-socket's addon is built for this ABI.
FROM node:${NODE_VERSION}-bookworm-slim

LABEL org.opencontainers.image.title="xdperf" \
      org.opencontainers.image.description="High-rate packet generator for Linux: WebAssembly plugins describe packets, a native core sends them" \
      org.opencontainers.image.licenses="Apache-2.0"

# iproute2: xdperf asks `ip neigh` for the destination MAC when a plugin's config names none.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends iproute2 \
    && rm -rf /var/lib/apt/lists/*

COPY --from=build /opt/xdperf /opt/xdperf
RUN ln -s /opt/xdperf/dist/src/cli/main.js /usr/local/bin/xdperf

# Root, on purpose: sending and receiving need CAP_NET_ADMIN, CAP_NET_RAW, CAP_BPF and more,
# which the container is given (or not) by whoever runs it.
ENTRYPOINT ["xdperf"]
CMD ["--help"]
