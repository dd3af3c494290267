# WispHub API: gunicorn (gevent workers) serving wisphub_api, to run behind nginx.
#   docker build -t wisphub-api .   |   docker compose up   (api, redis, nginx on :8080, sandbox)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8000

WORKDIR /app

# Dependencies first: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

COPY gunicorn.conf.py ./
COPY wisphub_api ./wisphub_api

# The code stays owned by root and read-only to the user that runs it (numeric, so that
# Kubernetes' runAsNonRoot can check it).
RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin app
USER 10001:10001

EXPOSE 8000
# Liveness through the app itself (the slim image has no curl). Set WEB_CONCURRENCY to the
# container's CPU limit: gunicorn.conf.py otherwise starts one worker per CPU it can see.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '8000'), timeout=3)"]

# The same command as `make serve` (scripts/serve.sh).
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wisphub_api:create_app()"]
