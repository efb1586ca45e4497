"""Production planning: the factory model, schedules for every panel, and promises."""
