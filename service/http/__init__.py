"""The HTTP frame: the flask-smorest Api, one JSON error shape, strict JSON, interactive docs."""
