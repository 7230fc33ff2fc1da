# The hookplatform image: one image, three commands (see docker-compose.yml):
#   web     python manage.py migrate && gunicorn hookplatform.wsgi:application --bind 0.0.0.0:8000
#   worker  celery -A hookplatform worker -l info -c 2
#   beat    celery -A hookplatform beat -l info
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOOKPLATFORM_VAR_DIR=/var/lib/hookplatform \
    HOOKPLATFORM_STATIC_ROOT=/app/static \
    PROMETHEUS_MULTIPROC_DIR=/var/lib/hookplatform/metrics
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# The admin's and the API docs' static files, served by WhiteNoise from the image (not from the state volume).
RUN python manage.py collectstatic --noinput -v 0
RUN useradd --create-home hook \
    && mkdir -p /var/lib/hookplatform/metrics \
    && chown -R hook /app /var/lib/hookplatform
USER hook
EXPOSE 8000
CMD ["gunicorn", "hookplatform.wsgi:application", "--bind", "0.0.0.0:8000"]
