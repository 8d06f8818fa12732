"""event-harvest: after an event, thanks with a personal harvest link, insights, a harvest page, news offers."""
