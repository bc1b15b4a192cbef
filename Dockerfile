FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    HOME=/tmp

WORKDIR /app

# Dependencies first: a code change does not reinstall them.
COPY requirements.txt /app/requirements.txt
RUN pip install --no-cache-dir -r /app/requirements.txt

COPY benchmark /app/benchmark
COPY mlcube /app/mlcube
ENV PYTHONPATH=/app

# Runs as any user id (-u $(id -u):$(id -g)): nothing is written outside mounted volumes and /tmp.
ENTRYPOINT ["python", "/app/mlcube/entrypoint.py"]
