"""finance: the budget against what was spent, bank imports, owners alerted, the monthly finance report."""
