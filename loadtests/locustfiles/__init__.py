"""Entry locustfiles; pass one to `locust -f`."""
