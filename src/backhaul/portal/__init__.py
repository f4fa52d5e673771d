"""The Member Centre: the customers' own web pages."""
