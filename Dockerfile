# One image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DATA_DIR=/data
WORKDIR /app

# pg_dump / pg_restore for `manage.py backup` and `restore` (PostgreSQL 15, as compose's).
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/*
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

COPY . .
# collectstatic and message compilation need settings but no database.
RUN SECRET_KEY=build-only-placeholder-never-used-at-runtime DEBUG=0 python manage.py collectstatic --noinput --verbosity 0 \
 && pybabel compile --domain django --directory locale \
 && pybabel compile --domain django --directory locale_vendor \
 && useradd --system --uid 10001 qms && mkdir -p /data && chown -R qms /data

USER qms
EXPOSE 8000
CMD ["gunicorn", "qms.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
