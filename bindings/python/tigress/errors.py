"""The base exception of the tigress package; one subclass per C status is generated in _status."""
from typing import Optional


class TigressError(Exception):
    """A libtigress call failed.

    Attributes:
        status_name: the C name, e.g. "TIGRESS_E_NOT_FOUND" (from tigress_status_name()).
        code: the C status value, e.g. -18.
        http_status: the relay's HTTP status, or 0 when no response was received.
        transport_code: the transport's own code (a CURLcode for the default transport), or 0.
        message: the library's message; it never contains the Secret or decrypted content.
    """

    # Overridden by each generated subclass.
    status_code: int = 0
    status_name: str = "TIGRESS_E_UNKNOWN"

    def __init__(self, message: str, *, code: Optional[int] = None,
                 status_name: Optional[str] = None, http_status: int = 0,
                 transport_code: int = 0) -> None:
        super().__init__(message)
        self.code: int = self.status_code if code is None else code
        if status_name is not None:
            self.status_name = status_name
        self.message: str = message
        self.http_status: int = http_status
        self.transport_code: int = transport_code

    def __str__(self) -> str:
        extra = f", HTTP {self.http_status}" if self.http_status else ""
        return f"{self.status_name} ({self.code}{extra}): {self.message}"
