# Polisure service image: the same gunicorn command and config as `make run`,
# as a non-root user, listening on 0.0.0.0:8000.
#   docker build -t polisure .
#   docker run -p 8000:8000 -v polisure-data:/app/instance polisure
#   docker run --rm -v polisure-data:/app/instance polisure \
#       python -m service keys create --tenant acme --role insurer
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOST=0.0.0.0 \
    PORT=8000

WORKDIR /app

# A CJK font, so the Chinese self-assessment renders (and prints) in a browser or a
# PDF renderer run in this image, not as boxes.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, so code changes do not reinstall them.
COPY requirements.txt ./
RUN pip install -r requirements.txt

RUN useradd --create-home --uid 10001 --user-group polisure
COPY --chown=polisure:polisure . .
# Then the project itself, as `make run` installs it: editable, so the default
# database stays in /app/instance, and without dependencies (the pins above).
RUN pip install --no-deps -e .
# The self-assessment's translations, compiled as `make translations` does (.mo files are
# not in the repository).
RUN pybabel compile -d service/translations
# The default SQLite database lives in instance/ (mount a volume there to keep it).
RUN mkdir -p instance && chown polisure:polisure instance

USER polisure
# The compiled loops of pricing and the tree walk (numba), built once into their cache
# beside the source, as the first `make run` does, so that no worker compiles at boot.
RUN python -c "import models.pricing.aggregate, models.scoring.tree_predictor"
EXPOSE 8000
# gunicorn drains in-flight requests on SIGTERM (graceful_timeout in the config).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
# Same as `make run`: PORT=$(PORT) .venv/bin/gunicorn -c service/gunicorn_conf.py service.wsgi:app
CMD ["gunicorn", "-c", "service/gunicorn_conf.py", "service.wsgi:app"]
