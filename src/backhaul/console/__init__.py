"""The staff console's own pieces, shared by every area's console pages.

- `confirm.confirm_action`: a console action asks for confirmation before it changes anything.
- `overview`: everything about one account on one page (reads through each area's selectors).

Templates live under `portal/templates/console/` (the console package is not an app of its
own, so its templates sit with the other web templates Backhaul serves).
"""
