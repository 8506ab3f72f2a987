# CI only: no registry is reachable there, so the official caddy image (caddy:2-alpine, docker-compose.https.yml's
# default) is replaced by Debian's caddy package on the local Debian base (scripts/ci-image.sh), laid out like
# the official image: /etc/caddy/Caddyfile, state in /data and /config, the same command.
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends caddy \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && caddy version
ENV XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data
VOLUME /config /data
CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
