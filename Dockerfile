# Image for the Helm chart (helm/gsl-indicators): `gsl serve` (api) and `gsl worker`.
#
# Two stages: `build` installs the hashed lock (requirements.lock, `make lock`) into a
# virtualenv and builds the service into it; `runtime` copies only that virtualenv onto
# the same pinned base (no compilers, no pip cache, no sources). Runs as uid 10001 and
# writes only below /tmp (the chart mounts an emptyDir there; the root fs is read-only).
# Pin the base by digest as well where your registry allows it:
#   docker build --build-arg PYTHON_IMAGE=python:3.12.8-slim-bookworm@sha256:<digest> .
# The pages' front-end packages (Swagger UI, Leaflet, Chart.js) come from the npm registry,
# pinned by package-lock.json, in the `assets` stage; the service serves them from
# GSL_ASSETS_DIR.
ARG PYTHON_IMAGE=python:3.12.8-slim-bookworm
ARG NODE_IMAGE=node:20.18.1-slim

FROM ${NODE_IMAGE} AS assets
WORKDIR /web
COPY services/gsl_service/web/package.json services/gsl_service/web/package-lock.json ./
RUN npm ci --omit=optional --ignore-scripts --no-audit --no-fund

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY requirements.lock ./
RUN python -m venv /opt/gsl \
 && /opt/gsl/bin/pip install --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml README.md ./
COPY processes processes
COPY services services
COPY openapi openapi
# the service itself: no dependencies resolved here (all came from the lock)
RUN /opt/gsl/bin/pip install --no-deps --no-build-isolation . \
 && /opt/gsl/bin/python -c "import gsl_service.app, gsl_indicators.core.spec"

FROM ${PYTHON_IMAGE} AS runtime
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin gsl
COPY --from=build /opt/gsl /opt/gsl
COPY --from=assets /web/node_modules /opt/gsl-assets
ENV PATH=/opt/gsl/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    GSL_DATA_DIR=/tmp/gsl \
    GSL_HOST=0.0.0.0 \
    GSL_ASSETS_DIR=/opt/gsl-assets
USER 10001:10001
EXPOSE 5000
ENTRYPOINT ["gsl"]
CMD ["serve", "--host", "0.0.0.0", "--port", "5000"]
