"""/v1/models: the registry over HTTP, promotions and their audit trail."""
