"""One base for the objects that own a C handle (Secret, Ed25519Key, Client, Transfer): a `with`
block closes the handle, and so does garbage collection for an object nobody closed."""
from typing import TypeVar

_T = TypeVar("_T", bound="Owned")


class Owned:
    """Subclasses define close(): it frees the handle the first time and does nothing after."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self: _T) -> _T:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # half-built object, or the library already unloaded at exit
            pass
