FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --create-home hook && chown -R hook /app
USER hook
EXPOSE 8000
CMD ["gunicorn", "hookplatform.wsgi:application", "--bind", "0.0.0.0:8000"]
