# One image for both the API and the workers; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# The default torch 2.13.0 wheel for Linux x86-64 is the CUDA build the GPU workers need. To build a CPU-only
# image, pass --build-arg TORCH_INDEX_URL=<an index that serves CPU wheels>.
ARG TORCH_INDEX_URL=""
RUN if [ -n "$TORCH_INDEX_URL" ]; then pip install --no-cache-dir --index-url "$TORCH_INDEX_URL" torch==2.13.0; \
    else pip install --no-cache-dir torch==2.13.0; fi

RUN useradd --create-home --uid 1000 atelier
WORKDIR /srv/atelier
COPY pyproject.toml README.md ./
COPY atelier ./atelier
COPY app ./app
COPY worker ./worker
COPY models ./models
COPY templates ./templates
COPY static ./static
RUN pip install --no-cache-dir -e . && mkdir -p /srv/atelier/var && chown atelier /srv/atelier/var
USER atelier

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
CMD ["atelier", "serve", "--host", "0.0.0.0", "--port", "8000"]
