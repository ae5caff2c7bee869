# One image for every component: web/API, tiles, RQ and alert workers, ingestion and
# backfill jobs, the Kopf operator. The command picks the role (see charts/permitwatch).
FROM node:20-bookworm-slim AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund --omit=dev

FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY services services
COPY workers workers
COPY controllers controllers
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir .

FROM python:3.11-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/app PYTHONUNBUFFERED=1 PERMITWATCH_DATA_DIR=/work/data HOME=/work
RUN useradd --uid 10001 --home-dir /work --no-create-home permitwatch && mkdir -p /work && chown 10001 /work
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY services services
COPY workers workers
COPY controllers controllers
COPY crds crds
COPY web/src web/src
COPY --from=web /src/web/node_modules web/node_modules
USER 10001
EXPOSE 8000 9100
CMD ["permitwatch", "web", "--host", "0.0.0.0"]
