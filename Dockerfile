# DataPerf vision harness. Built and run by `mlcube run --platform=docker` (see mlcube.yaml), or
# described for MedPerf by container_config.yaml (docs/medperf.md);
# also works without mlcube: docs/containers.md, "Without MLCube: plain `docker run`" (the same mounts, user and network).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    MPLCONFIGDIR=/tmp/matplotlib \
    HOME=/tmp

WORKDIR /app

# Dependencies first, in their own layer: a code change does not reinstall them.
# In the same layer, drop what is never used at run time: pip's cache, the packages'
# test suites, C/Cython sources and headers. (No compilers: the pins all have wheels.)
# EXTRAS=dataperf2022 adds torch (CPU build) for `debugging.protocol: dataperf_2022`:
#   docker build --build-arg EXTRAS=dataperf2022 -t mlcommons/dataperf-vision:0.1.0-dataperf2022 .
# The default (empty) builds the image without torch.
ARG EXTRAS=""
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
COPY requirements.txt constraints.txt requirements-dataperf2022.txt /app/
RUN pip install --no-cache-dir -r /app/requirements.txt \
 && case "$EXTRAS" in \
      "") ;; \
      dataperf2022) pip install --no-cache-dir --extra-index-url "$TORCH_INDEX_URL" -r /app/requirements-dataperf2022.txt ;; \
      *) echo "unknown EXTRAS '$EXTRAS' (known: dataperf2022)" >&2; exit 1 ;; \
    esac \
 && find /usr/local/lib/python3*/*-packages -type d -name tests -prune -exec rm -rf {} + \
 && find /usr/local/lib/python3*/*-packages -depth -type f \
        \( -name '*.pyx' -o -name '*.pxd' -o -name '*.pxi' -o -name '*.h' -o -name '*.hpp' -o -name '*.c' -o -name '*.cpp' \) -delete \
 && rm -rf /root/.cache /tmp/*

COPY mlcube /app/mlcube
COPY benchmark /app/benchmark
# Readable by any user id whatever the umask of the checkout the image was built from.
RUN chmod -R a+rX /app
ENV PYTHONPATH=/app

# OCI labels, last so that a new revision rebuilds no other layer. Their values are build arguments;
# `python scripts/image.py --labels` prints them, and the same values as --label options, since
# buildah 1.28 (podman 4.3) reuses this layer from its cache whatever the arguments' values
# (docs/medperf.md, "Publishing the image"). A plain `docker build` (as mlcube's) leaves them empty.
ARG VERSION=""
ARG REVISION=""
ARG SOURCE=""
LABEL org.opencontainers.image.title="dataperf-vision" \
      org.opencontainers.image.description="Reference harness for the DataPerf vision selection and debugging benchmarks" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$REVISION" \
      org.opencontainers.image.source="$SOURCE"

# Runs as any user id (mlcube: -Pdocker.cpu_args="-u $(id -u):$(id -g)"): nothing is written
# outside the mounted workspace directories and /tmp, and everything in /app is world-readable.
ENTRYPOINT ["python", "/app/mlcube/entrypoint.py"]
