# syntax=docker/dockerfile:1
# pglint's container image: the static musl binary on Alpine (a shell, for CI systems such as
# GitLab that run a job's script inside the image), or alone on scratch (`--target static`).
#
#   docker build -t pglint .                     # pglint at /usr/local/bin/pglint, on Alpine
#   docker build -t pglint:scratch --target static .
#   docker run --rm -v "$PWD:/repo" pglint pglint check
#
# Not built in this repository's CI (its machines have no container engine); linted with
# hadolint by .ci/run.

FROM rust:1.89-alpine3.22 AS build
# The C parts of ring and mimalloc link against musl's headers; Alpine's Rust targets musl,
# so the binary is static.
# hadolint ignore=DL3018
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY . .
RUN cargo build --release --locked \
    && strip target/release/pglint \
    && ./target/release/pglint --version

FROM scratch AS static
COPY --from=build /src/target/release/pglint /pglint
WORKDIR /repo
ENTRYPOINT ["/pglint"]
CMD ["check"]

FROM alpine:3.22
COPY --from=build /src/target/release/pglint /usr/local/bin/pglint
WORKDIR /repo
CMD ["pglint", "check"]
