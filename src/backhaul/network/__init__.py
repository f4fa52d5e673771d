"""FreeRADIUS tables, Change-of-Authorization, static IPs, IP history and reverse DNS."""
