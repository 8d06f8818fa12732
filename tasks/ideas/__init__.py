"""event-ideas: members put dots on co-created event ideas by personal link; the top ones become draft events."""
