# Civic Data Hub: HTTP API and CLI in one image.
#   docker build -t civichub/hub .
# Runs `civichub init` (database migrations, signing and encryption keys under
# CIVICHUB_DATA_DIR; idempotent) and then gunicorn with uvicorn workers on port 8000.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# .dockerignore keeps the virtualenv, var/, tests and any .env file out of the context
COPY . .
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --upgrade pip \
    && /opt/venv/bin/pip install ".[server]"


FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CIVICHUB_DATA_DIR=/var/lib/civichub \
    HUB_WORKERS=4

RUN groupadd --system --gid 10001 civichub \
    && useradd --system --uid 10001 --gid civichub --home-dir /var/lib/civichub \
       --shell /usr/sbin/nologin civichub \
    && mkdir -p /var/lib/civichub \
    && chown civichub:civichub /var/lib/civichub \
    && chmod 0700 /var/lib/civichub

COPY --from=build /opt/venv /opt/venv
# example descriptors and policies, for `civichub dataset register examples/...`
COPY --from=build /src/examples /opt/civichub/examples
WORKDIR /opt/civichub

USER civichub
VOLUME ["/var/lib/civichub"]
EXPOSE 8000

# the slim image has no curl: ask Python
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

# gunicorn calls the app factory itself ('module:factory()'); HUB_WORKERS sets the
# number of worker processes.
CMD ["sh", "-c", "civichub init && exec gunicorn -k uvicorn_worker.UvicornWorker -w \"${HUB_WORKERS:-4}\" -b 0.0.0.0:8000 --access-logfile - --graceful-timeout 30 'hub.app:create_app()'"]
