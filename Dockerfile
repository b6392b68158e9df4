# agent-server: one process, embedded store under /data (set REDIS_URL to share state).
FROM python:3.11-slim

RUN apt-get update && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY agent_server agent_server
COPY voices voices
COPY pyai pyai
COPY configs configs
COPY static static
# The CPU wheel: the default index would pull a multi-GB CUDA build.
RUN pip install --no-cache-dir "setuptools<81" wheel \
    && pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
    && pip install --no-cache-dir .

ENV AGENT_SERVER_DATA_DIR=/data
VOLUME /data
EXPOSE 8000
CMD ["agent-server", "serve", "--host", "0.0.0.0", "--port", "8000"]
