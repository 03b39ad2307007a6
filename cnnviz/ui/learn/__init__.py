"""The Learn page's widgets, one module per lesson."""
