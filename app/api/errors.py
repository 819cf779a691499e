"""The API's errors: ApiError (an HTTP error with a stable ``error_type``) and the handlers that
turn it and Temporal's RPC errors into JSON responses."""

from __future__ import annotations

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse
from temporalio.service import RPCError, RPCStatusCode

_RPC_STATUS = {
    RPCStatusCode.NOT_FOUND: 404,
    RPCStatusCode.INVALID_ARGUMENT: 422,
    RPCStatusCode.ALREADY_EXISTS: 409,
    RPCStatusCode.FAILED_PRECONDITION: 409,
    RPCStatusCode.RESOURCE_EXHAUSTED: 429,
    RPCStatusCode.DEADLINE_EXCEEDED: 504,
}


class ApiError(HTTPException):
    """An HTTP error whose body is an ErrorBody: detail, error_type, workflow_id."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        error_type: str | None = None,
        workflow_id: str | None = None,
    ) -> None:
        super().__init__(status, detail=detail)
        self.error_type = error_type
        self.workflow_id = workflow_id


async def api_error_response(request: Request, error: Exception) -> JSONResponse:
    """The ErrorBody of an ApiError."""
    assert isinstance(error, ApiError)
    body = {
        "detail": error.detail,
        "error_type": error.error_type,
        "workflow_id": error.workflow_id,
    }
    return JSONResponse(body, status_code=error.status_code)


async def rpc_error_response(request: Request, error: Exception) -> JSONResponse:
    """A Temporal RPC error as the nearest HTTP status (503 when Temporal is unavailable)."""
    assert isinstance(error, RPCError)
    status = _RPC_STATUS.get(error.status, 503)
    return JSONResponse({"detail": f"Temporal: {error.message}"}, status_code=status)
