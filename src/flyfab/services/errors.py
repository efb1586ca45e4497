"""What a use case can refuse, in words a customer understands; entry points map them to 4xx."""

from __future__ import annotations


class ServiceError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class Invalid(ServiceError):
    status = 422
    code = "invalid"


class NotFound(ServiceError):
    """Also what a customer gets for someone else's upload, quote or order: it does not exist for them."""

    status = 404
    code = "not_found"


class Unauthenticated(ServiceError):
    status = 401
    code = "unauthenticated"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class TooLarge(ServiceError):
    status = 413
    code = "too_large"


class TooManyAttempts(ServiceError):
    status = 429
    code = "too_many_attempts"
