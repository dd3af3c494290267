"""Domain services: plain Python, no Flask. ``wiring.build_services`` assembles them per app."""
