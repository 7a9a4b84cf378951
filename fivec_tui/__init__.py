"""fivec-tui: an on-call console for 美联软通 (5c.com.cn) SMS accounts."""

__version__ = "0.1.0"
