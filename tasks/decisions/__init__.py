"""decision-rounds: proposals put to members by personal link, reminders, tally at close, outcomes."""
