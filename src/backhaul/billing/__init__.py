"""Bill runs, invoices and their lines, credit notes and invoice PDFs."""
