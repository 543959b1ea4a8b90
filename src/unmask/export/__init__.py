"""What leaves unmask: reports, indicators, graphs and tables."""
