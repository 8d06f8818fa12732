"""funder-stewardship: keep in touch with funders, report on time, prepare for meetings."""
