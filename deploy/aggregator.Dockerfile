# truwatch aggregator: counts the federation's messages from NATS JetStream, publishes stats, serves its HTTP
# API (/api/stats, /api/history, /healthz, /metrics).
#   docker build -f deploy/aggregator.Dockerfile -t truwatch/aggregator .        (from the repository's root)
# NODE_IMAGE: any Node 20 image laid out like the official one (CI builds a local one: scripts/ci-image.sh).
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY protocol protocol
COPY aggregator aggregator
COPY scripts/bundle.ts scripts/
# The aggregator with its packages in one file.
RUN node --import tsx scripts/bundle.ts aggregator/src/main.ts dist/aggregator.mjs --self-contained

FROM ${NODE_IMAGE}
# No package manager in the running image: the aggregator is one file and needs none.
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
WORKDIR /app
COPY --from=build /src/dist/aggregator.mjs aggregator.mjs
# It keeps no state of its own: everything is in JetStream (streams and KV buckets).
ENV NODE_ENV=production HTTP_HOST=0.0.0.0 HTTP_PORT=8080
USER node
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HTTP_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "aggregator.mjs"]
