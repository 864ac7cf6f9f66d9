"""The embedded local stack: moto server, template-driven resources, queue pumps, HTTP API. Not shipped to Lambda."""
