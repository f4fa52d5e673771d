"""Mail server adapters: how Backhaul reads a mail server and tells it what to do.

`base.MailServer` is the interface; `dovecot.Dovecot` reads Dovecot's `doveadm` output and
the Postfix/Dovecot mail log, and turns lifecycle events into `doveadm` commands.
"""
