# Image for the Helm chart (helm/gsl-indicators): `gsl serve` (api) and `gsl worker`.
FROM python:3.12-slim
RUN useradd --uid 10001 --create-home gsl
WORKDIR /app
COPY pyproject.toml README.md ./
COPY processes processes
COPY services services
RUN pip install --no-cache-dir . && mkdir -p /tmp/gsl && chown gsl /tmp/gsl
USER 10001
ENTRYPOINT ["gsl"]
CMD ["serve", "--host", "0.0.0.0", "--port", "5000"]
