"""The HTTP API (FastAPI): ``app.api.main.create_app`` builds it, ``app.api.main.serve`` runs it
(``docorch api``). Routes live in ``app.api.routes``; what they share in ``app.api.context``."""
