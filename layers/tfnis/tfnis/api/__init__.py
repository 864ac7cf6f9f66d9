"""The HTTP API's contract: the request and response models of every route (models.py) and how a request body
is read before it is validated (body.py). The submissions_api handler declares its routes with these models, so
Powertools validates requests against them and generates GET /openapi.json from them (docs/local-stack.md).
No boto3 here: the models describe what crosses the wire, the pipeline package does the work."""
