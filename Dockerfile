# syntax=docker/dockerfile:1
# Build stage: install exactly the locked dependencies and bundle the CLI with esbuild.
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/ scripts/
COPY core/ core/
COPY contract/ contract/
COPY kube/ kube/
COPY eso/ eso/
COPY providers/ providers/
COPY injector/ injector/
COPY agent/ agent/
COPY webhook/ webhook/
COPY cli/ cli/
COPY examples/demo/ examples/demo/
RUN npm run build

# Final stage: Node and the bundle only. Everything esi runs is inside dist/, so no node_modules.
FROM node:22-bookworm-slim
# Node 22's module compile cache: V8's compiled code for every module of the bundle, keyed by the file's
# content, the Node version and the uid, so the agent in a pod deserializes code instead of parsing and
# compiling the bundle at every start. It is written here, once, as the uid the agent runs as (the
# injector's default, 65532), and only read in the pod, whose root filesystem is read-only. A pod run as
# another uid finds no cache and compiles as before.
ENV NODE_ENV=production NODE_COMPILE_CACHE=/app/.compile-cache
WORKDIR /app
COPY --from=build /src/dist/ /app/dist/
RUN mkdir /app/.compile-cache && chown 65532:65532 /app/.compile-cache
USER 65532:65532
# Warm it with the code a real run executes (the demo: injection, agent, rotation), then every other chunk.
RUN node /app/dist/esi.mjs demo > /dev/null \
 && node -e "(async () => { for (const f of require('node:fs').readdirSync('/app/dist/chunks')) if (f.endsWith('.mjs')) await import('/app/dist/chunks/' + f); })()"
ENTRYPOINT ["node", "/app/dist/esi.mjs"]
