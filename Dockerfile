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
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/dist/ /app/dist/
USER 65532:65532
ENTRYPOINT ["node", "/app/dist/esi.mjs"]
