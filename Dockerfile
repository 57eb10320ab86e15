# The scoring service: `fraud serve` on port 8000. See docs/deployment.md.
#   docker build -t fraud-scoring .
#   docker compose up            (the service with PostgreSQL and Redis: compose.yaml)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FRAUD_DATA_DIR=/var/lib/fraud \
    FRAUD_PLACES_CACHE_DIR=/opt/fraud/places

WORKDIR /app
# Editable install: the bundled model (models/) and sample data (data/) are found beside
# the package, as in a checkout.
COPY pyproject.toml README.md ./
COPY fraud fraud
COPY api api
COPY models models
COPY data data
RUN pip install --no-cache-dir -e . \
 && useradd --system --uid 10001 --home-dir /var/lib/fraud fraud \
 && mkdir -p /var/lib/fraud "$FRAUD_PLACES_CACHE_DIR" \
 && chown fraud /var/lib/fraud

# The compact postal tables (fraud/places_store.py) are built into the image, so no
# container pays for them at its first start; read-only afterwards is enough.
RUN python -c "from fraud.geo import EU_COUNTRIES; from fraud.places import warm_up; \
warm_up(tuple(sorted(EU_COUNTRIES | {'GB', 'CH', 'NO'})))" \
 && chmod -R a+rX "$FRAUD_PLACES_CACHE_DIR"

USER fraud
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s \
  CMD python -c "import sys, urllib.request; \
sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
# One process per container by default: scale with replicas (docs/deployment.md), or
# set FRAUD_WORKERS for several worker processes in one container.
CMD ["sh", "-c", "exec fraud serve --host 0.0.0.0 --port 8000 --workers ${FRAUD_WORKERS:-1}"]
