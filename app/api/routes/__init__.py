"""The API's routers, one module per area; each imports ``app.api.context``, never the app."""
