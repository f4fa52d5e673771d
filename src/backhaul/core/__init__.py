"""Pure helpers shared by every area: money, working time and billing periods."""
