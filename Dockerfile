# Strongroom in a container, with the MariaDB driver. Used by compose.yaml.
FROM python:3.12-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libmariadb-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY styles ./styles
RUN pip install --no-cache-dir '.[mariadb]'

RUN useradd --create-home strongroom \
    && mkdir -p /home/strongroom/.config/strongroom \
    && chown -R strongroom /home/strongroom
USER strongroom
WORKDIR /home/strongroom
ENTRYPOINT ["strongroom"]
