"""membership-fees: renewal reminders before paid-until, receipts for payments, the overdue list."""
