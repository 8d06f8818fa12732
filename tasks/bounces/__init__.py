"""bounces: delivery-status notifications from the bounce mailbox -> suppressed addresses, counted soft bounces."""
