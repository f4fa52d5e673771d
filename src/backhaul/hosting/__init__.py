"""Hosting plans, renewals, money-back guarantee and acceptable-use flags."""
