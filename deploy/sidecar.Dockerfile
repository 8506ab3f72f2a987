# truwatch sidecar + the web app it serves.
#   docker build -f deploy/sidecar.Dockerfile -t truwatch/sidecar .        (from the repository's root)
# NODE_IMAGE: any Node 20 image laid out like the official one (CI builds a local one: scripts/ci-image.sh).
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` (svelte-kit sync) needs the sources, which come next.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY svelte.config.js vite.config.ts tsconfig.json ./
COPY protocol protocol
COPY web web
COPY sidecar sidecar
COPY scripts/bundle.ts scripts/
# The web app into build/, the sidecar with its packages into one file, dist/sidecar.mjs.
RUN node node_modules/@sveltejs/kit/svelte-kit.js sync \
 && node node_modules/vite/bin/vite.js build --logLevel warn \
 && node --import tsx scripts/bundle.ts sidecar/src/main.ts dist/sidecar.mjs --self-contained

FROM ${NODE_IMAGE}
# No package manager in the running image: the sidecar is one file and needs none.
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* \
 && mkdir -p /data && chown node:node /data
WORKDIR /app
COPY --from=build /src/build build
COPY --from=build /src/dist/sidecar.mjs sidecar.mjs
# HOST 0.0.0.0 inside the container: publish the port on the host's loopback only (docker-compose.monitor.yml).
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8090 DATA_DIR=/data STATIC_DIR=/app/build
VOLUME /data
USER node
EXPOSE 8090
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8090) + '/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The heap settings of scripts/build-sidecar.ts (SIDECAR_NODE_FLAGS): under 100 MB resident.
CMD ["node", "--max-semi-space-size=2", "--max-old-space-size=64", "sidecar.mjs"]
