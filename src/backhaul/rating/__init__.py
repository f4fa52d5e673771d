"""Call detail record import, destination and band classification, and call rating."""
