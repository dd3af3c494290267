# Deployment: nginx in front of gunicorn, the container files, and their tests. Included by the
# top-level Makefile. nginx runs in the foreground with its pid and temp files under NGINX_PREFIX.

VENV ?= .venv
PY ?= $(VENV)/bin/python
NGINX ?= nginx
NGINX_PREFIX ?= $(CURDIR)/.nginx
NGINX_LISTEN ?= 8080
API_UPSTREAM ?= 127.0.0.1:$(or $(PORT),8000)
VERIFY_RATE ?= 10r/s
NGINX_RENDER = $(PY) deploy/render_nginx.py --listen $(NGINX_LISTEN) --upstream $(API_UPSTREAM) \
	--verify-rate $(VERIFY_RATE) -o $(NGINX_PREFIX)/nginx.conf
NGINX_RUN = $(NGINX) -p $(NGINX_PREFIX)/ -c $(NGINX_PREFIX)/nginx.conf -e stderr
DEPLOY_TESTS = tests/test_deploy_*.py tests/test_observability_*.py

.PHONY: nginx nginx-install nginx-config nginx-check docker-lint docker-build docker-up \
	test-deploy metrics

nginx-install: ## Install nginx with apt (root; does nothing when nginx is there)
	bash deploy/install-nginx.sh

nginx-config: ## Re-render deploy/nginx.conf (port 80 -> 127.0.0.1:8000) from its template
	$(PY) deploy/render_nginx.py

nginx-check: install ## Render the nginx config for NGINX_LISTEN/API_UPSTREAM and check it (nginx -t)
	@mkdir -p $(NGINX_PREFIX)
	$(NGINX_RENDER)
	$(NGINX_RUN) -t

nginx: nginx-check ## Run nginx in the foreground on NGINX_LISTEN (8080) in front of `make serve`
	$(NGINX_RUN) -g 'daemon off;'

docker-lint: install-dev ## Lint the Dockerfile (hadolint) and check docker-compose.yml and the CMD
	$(VENV)/bin/hadolint Dockerfile
	$(PY) -m pytest -q tests/test_deploy_docker.py

docker-build: ## Build the image wisphub-api:local (needs a Docker engine)
	docker build -t wisphub-api:local .

docker-up: ## Start nginx (:8080), the API, Redis and the sandbox with docker compose
	docker compose up --build

test-deploy: install-dev ## Run the deployment and observability tests (real nginx, gunicorn, Redis)
	$(PY) -m pytest -q $(DEPLOY_TESTS)

metrics: ## Print the API's Prometheus metrics (from 127.0.0.1:$PORT)
	@$(PY) -c "import os, urllib.request; \
	print(urllib.request.urlopen('http://127.0.0.1:%s/metrics' % os.environ.get('PORT', '8000'), \
	timeout=5).read().decode())"
