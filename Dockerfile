# syntax=docker/dockerfile:1.7
# Multi-stage build on Node 24 LTS: compile with dev dependencies, ship production dependencies only,
# run as a non-root user, and let the orchestrator probe readiness. Not built in CI (no Docker engine
# there). Nothing compiles natively: SQLite's driver (better-sqlite3 13) ships a prebuilt Node-API
# binary, and the optional better-sqlite3-node20 is only for Node 20 (src/database/sqlite-driver.ts),
# so install scripts are skipped and no compiler is needed.
#
#   docker build -t wechat-login .
#   docker run --env-file prod.env wechat-login node dist/src/main.js migrate   # optional deploy step
#   docker run --env-file prod.env -p 3000:3000 wechat-login

ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json nest-cli.json ormconfig.ts ./
COPY scripts/bundle.mjs ./scripts/
COPY src ./src
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts \
  && rm -rf node_modules/better-sqlite3-node20 \
  && npm cache clean --force

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    DATA_DIR=/app/data
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
RUN mkdir -p /app/data /app/.cache && chown node:node /app/data /app/.cache
USER node
# V8's compiled code for the service, made now as the user that runs it (Node keys the cache by user):
# a new container's first start reads it instead of compiling (src/compile-cache.ts). A read-only root
# filesystem is fine (what Node cannot add there, it compiles); under another user id it just compiles.
ENV NODE_COMPILE_CACHE=/app/.cache/node-compile-cache
RUN node dist/src/main.js compile-cache
EXPOSE 3000
# Readiness: the process answers and the database is reachable (liveness is /health/live).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# SIGTERM reaches node directly (exec form): readiness turns red, requests drain, pools close.
# `node dist/src/main.js migrate` applies the migrations and exits (no dev dependency needed).
# The heap flags of src/heap-sizing.ts on the command line (without them the service restarts itself
# with them, same pid, about 0.1 s later).
CMD ["node", "--max-semi-space-size=16", "--heap-growing-percent=50", "dist/src/main.js"]
