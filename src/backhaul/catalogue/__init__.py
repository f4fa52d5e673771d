"""Brands, their terms documents and clauses, products, prices, charges and rule parameters."""
