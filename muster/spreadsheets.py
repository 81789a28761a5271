"""Cells of the CSV files Muster writes (the roster, the accounts list, the metrics)."""

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value) -> str:
    """A cell a spreadsheet shows as text: a leading = + - @ (a formula) gets a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
