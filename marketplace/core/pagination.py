"""Pagination shared by pages and API: bounded page numbers and page sizes."""

from __future__ import annotations

import math
from typing import Generic, TypeVar

import msgspec

T = TypeVar("T")

MAX_PAGE = 10_000
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size
