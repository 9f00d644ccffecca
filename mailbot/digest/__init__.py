"""The weekly digest to leadership: the period (period.py), SQL aggregation (data.py), the chart (chart.py),
the register attachment (register.py), rendering (mail.py, pure) and sending exactly once (send.py)."""
