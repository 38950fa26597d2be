"""dvk — tổng hợp báo cáo công tác dân vận."""

__version__ = "0.1.0"
