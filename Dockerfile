# One image for every component: web/API, tiles, the alert worker, ingestion and backfill
# jobs, the RQ worker, the Kopf operator. The command picks the role (see charts/permitwatch).
#
# BASE is any Debian bookworm image: the public python:3.11-slim by default; a plain Debian
# base made locally (scripts/image.sh, where no registry is reachable) works too, Python and
# Node then come from Debian's packages. Both stages share BASE, so the venv's interpreter
# is the runtime's.
ARG BASE=python:3.11-slim-bookworm
ARG NODE_BASE=node:20-bookworm-slim

FROM ${NODE_BASE} AS web
RUN command -v npm >/dev/null || (apt-get update && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*)
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund --omit=dev

FROM ${BASE} AS python
RUN python3 -c "import venv, ensurepip" 2>/dev/null || (apt-get update && apt-get install -y --no-install-recommends \
    python3 python3-venv && rm -rf /var/lib/apt/lists/*)

FROM python AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY services services
COPY workers workers
COPY controllers controllers
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir .

FROM python
ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/app PYTHONUNBUFFERED=1 PERMITWATCH_DATA_DIR=/work/data HOME=/work
# Pango and a font for WeasyPrint (the export workers render AOI Activity Reports to PDF).
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
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
