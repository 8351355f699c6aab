"""POST and GET /v1/quotes: views, request schemas and the quote store."""
