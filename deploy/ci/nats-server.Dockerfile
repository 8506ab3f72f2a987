# CI only: no registry is reachable there, so the official nats image (nats:2.9-alpine, the compose files'
# default) is replaced by Debian's nats-server package on the local Debian base (scripts/ci-image.sh), with
# wget for the same healthcheck. Same server version line (2.9), same command, same paths.
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nats-server wget \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && nats-server --version
CMD ["nats-server"]
