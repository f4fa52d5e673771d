# FreeRADIUS reading Backhaul's PostgreSQL: `make radius` installs Debian's packages, writes
# a configuration directory under var/radius/ and starts FreeRADIUS on loopback ports;
# `make radius-stop` stops it. The system's /etc/freeradius is left as installed.
RADIUS_DIR ?= var/radius
RADIUS_DB_URL ?= $(PG_URL)
RADIUS_SECRET ?= backhaul-radius
RADIUS_AUTH_PORT ?= 18121
RADIUS_ACCT_PORT ?= 18131

.PHONY: radius radius-install radius-config radius-stop

radius-install:
	@command -v freeradius >/dev/null || { \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    freeradius freeradius-postgresql freeradius-utils; }
	@# Debian starts the packaged service on the standard ports; Backhaul runs its own.
	-@systemctl disable --now freeradius >/dev/null 2>&1 || true

radius-config: install radius-install
	DATABASE_URL=$(RADIUS_DB_URL) $(BACKHAUL) migrate --no-input -v 0
	DATABASE_URL=$(RADIUS_DB_URL) $(BACKHAUL) network radius-config --dir $(RADIUS_DIR) \
	  --secret $(RADIUS_SECRET) --auth-port $(RADIUS_AUTH_PORT) --acct-port $(RADIUS_ACCT_PORT)
	DATABASE_URL=$(RADIUS_DB_URL) $(BACKHAUL) network radius-sync

radius: radius-config
	@if [ -f $(RADIUS_DIR)/run/freeradius.pid ] && kill -0 $$(cat $(RADIUS_DIR)/run/freeradius.pid) 2>/dev/null; then \
	  echo "FreeRADIUS already running (pid $$(cat $(RADIUS_DIR)/run/freeradius.pid))"; \
	else \
	  freeradius -d $(RADIUS_DIR) && \
	  echo "FreeRADIUS on 127.0.0.1 auth $(RADIUS_AUTH_PORT), acct $(RADIUS_ACCT_PORT); log $(RADIUS_DIR)/log/radius.log"; \
	fi

radius-stop:
	@if [ -f $(RADIUS_DIR)/run/freeradius.pid ]; then \
	  kill $$(cat $(RADIUS_DIR)/run/freeradius.pid) 2>/dev/null || true; \
	  rm -f $(RADIUS_DIR)/run/freeradius.pid; echo "FreeRADIUS stopped"; \
	else echo "FreeRADIUS is not running from $(RADIUS_DIR)"; fi
