from django.apps import AppConfig


class MailboxesConfig(AppConfig):
    name = "backhaul.mailboxes"
    verbose_name = "Mailboxes"
