# syntax=docker/dockerfile:1
# The ccsim container image (docs/kubernetes.md): built with the official Rust image,
# run from Debian slim as a non-root user, with nothing in it but the binary.
#   docker build -t ccsim:0.1.0 .
# The runtime keeps Debian's /bin/sh (not distroless) because the merge Job of
# deploy/kubernetes waits for the shards' reports with a few lines of shell.

ARG RUST_VERSION=1
ARG DEBIAN_RELEASE=bookworm

FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS builder
WORKDIR /src
COPY . .
# The lock file is the one committed: `--locked` refuses to build if it would change.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
    && install -D -m 0755 target/release/ccsim /out/ccsim

FROM debian:${DEBIAN_RELEASE}-slim AS runtime
# A fixed numeric uid/gid, so Kubernetes' runAsNonRoot can check it.
RUN groupadd --gid 10001 ccsim \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin ccsim
COPY --from=builder /out/ccsim /usr/local/bin/ccsim
USER 10001:10001
WORKDIR /reports
ENTRYPOINT ["ccsim"]
CMD ["--help"]
