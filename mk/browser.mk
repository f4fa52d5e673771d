# Browser tests: Playwright drives Debian's Chromium (never a downloaded browser).
# `make test-browser` installs chromium when it is missing, then runs tests/browser;
# `make test` runs them too when /usr/bin/chromium exists and skips them otherwise.
CHROMIUM ?= /usr/bin/chromium

.PHONY: test-browser browser-install

browser-install:
	@test -x $(CHROMIUM) || { \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

test-browser: install browser-install
	BACKHAUL_CHROMIUM=$(CHROMIUM) $(BIN)/pytest -q -m browser tests/browser
	@echo "screenshots: var/screenshots/"
