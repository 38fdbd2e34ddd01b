# Image for the Helm chart (helm/gsl-indicators): `gsl serve` (api) and `gsl worker`.
# The pages' front-end packages (Swagger UI, Leaflet, Chart.js) come from the npm registry,
# pinned by package-lock.json, in a build stage; the service serves them from GSL_ASSETS_DIR.
FROM node:20-slim AS assets
WORKDIR /web
COPY services/gsl_service/web/package.json services/gsl_service/web/package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM python:3.12-slim
RUN useradd --uid 10001 --create-home gsl
WORKDIR /app
COPY pyproject.toml README.md ./
COPY processes processes
COPY services services
RUN pip install --no-cache-dir . && mkdir -p /tmp/gsl && chown gsl /tmp/gsl
COPY --from=assets /web/node_modules /app/assets
ENV GSL_ASSETS_DIR=/app/assets
USER 10001
ENTRYPOINT ["gsl"]
CMD ["serve", "--host", "0.0.0.0", "--port", "5000"]
