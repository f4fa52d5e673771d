"""Help Assistant tickets, SLA clocks, engineer visits, claims, credits and complaints."""
