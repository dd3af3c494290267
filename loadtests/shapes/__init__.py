"""Load shapes; pass one next to a locustfile: `locust -f <locustfile>,<shape file>`."""
