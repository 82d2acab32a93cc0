# l1-fetch in a container.
#   docker build -t l1-orderbook .
#   docker run --rm -e L1_REDIS_URL=redis://redis.internal:6379/0 -p 127.0.0.1:9464:9464 l1-orderbook
# Configured by L1_… environment variables (every l1-fetch flag has one; flags after the image name
# win). docker-compose.yml runs it next to a Redis with AOF persistence.

# Stage 1: install everything, build, and pack the package exactly as it would be published.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are here; the build runs below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY example_products.csv README.md ./
RUN npm run build
RUN npm pack --ignore-scripts --pack-destination /tmp && mv /tmp/l1-orderbook-*.tgz /tmp/l1-orderbook.tgz

# Stage 2: the packed tarball and its production dependencies only (test/deploy/deploy-files.test.ts
# runs this same install), tini as PID 1 so SIGTERM reaches l1-fetch and it flushes before exiting.
FROM node:20-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
COPY --from=build /tmp/l1-orderbook.tgz /tmp/l1-orderbook.tgz
RUN npm install -g --omit=dev --ignore-scripts --no-audit --no-fund /tmp/l1-orderbook.tgz \
  && rm /tmp/l1-orderbook.tgz \
  && npm cache clean --force
# The crash-safe spool: snapshots not yet confirmed by Redis survive a kill or a restart of the
# container on this volume (mount it: docker-compose.yml does).
RUN install -d -o node -g node /var/lib/l1-orderbook
VOLUME /var/lib/l1-orderbook
ENV NODE_ENV=production \
  L1_CSV=/usr/local/lib/node_modules/l1-orderbook/example_products.csv \
  L1_SPOOL_DIR=/var/lib/l1-orderbook/spool \
  L1_INTERVAL=1s \
  L1_LOG_FORMAT=json \
  L1_METRICS_PORT=9464 \
  L1_METRICS_HOST=0.0.0.0
USER node
WORKDIR /home/node
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.L1_METRICS_PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/l1-fetch"]
