# One image for all four services. The service is picked by the first argument
# or by TASKFORCE_SERVICE:
#   docker run IMAGE programmes
#   docker run -e TASKFORCE_SERVICE=monitoring IMAGE
# Other commands run with --entrypoint, e.g. `--entrypoint taskforce IMAGE kafka provision`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /data taskforce \
    && mkdir -p /data /shared \
    && chown taskforce /data /shared

# Listen on all interfaces inside the container; keep databases, secrets and
# local telemetry on the /data volume.
ENV TASKFORCE_HOST=0.0.0.0 \
    TASKFORCE_VAR_DIR=/data \
    TASKFORCE_SERVICE=countries

USER taskforce
VOLUME ["/data"]
EXPOSE 8001 8002 8003 8004

ENTRYPOINT ["/bin/sh", "-c", "exec python -m \"services.${1:-$TASKFORCE_SERVICE}\"", "taskforce-service"]
CMD []
