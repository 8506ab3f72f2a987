# A read-only Docker API for the sidecar: haproxy (Debian's) in front of the Docker socket, passing only the
# GET requests the sidecar makes (container list, inspect, logs, events). See deploy/docker-proxy.cfg.
# DEBIAN_IMAGE: CI builds a local one (scripts/ci-image.sh), no registry needed.
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends haproxy \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && haproxy -v
COPY docker-proxy.cfg /etc/haproxy/haproxy.cfg
RUN haproxy -c -f /etc/haproxy/haproxy.cfg
# Root only to open the engine's socket (root-owned); the proxy's own socket is for the sidecar's user.
CMD ["haproxy", "-W", "-db", "-f", "/etc/haproxy/haproxy.cfg"]
