"""What was saved, told on the user's next page even if the answer to their POST never reached
them.

A POST that the browser (or a phone on a train) gave up on may still be saved by the server
after the user has moved on. So every write says what it saved in a message kept in the
*session* (``MESSAGE_STORAGE``: session storage, not the cookie, which travels with the very
response that was lost). The message is read on the next page drawn for that user, whatever
it is, and names the record, what changed and the time: the user who clicked "Save" on a slow
connection and then reloaded sees "Saved at 10:42: ...", and knows not to type it again.

An HTMX in-place change answers with its row and the message stays for the next full page
too: the row's own "Saved" cannot tell a lost answer from a shown one, the next page can."""

from django.contrib import messages
from django.utils import timezone

RECEIPT_TAG = "receipt"


def saved(request, what: str) -> None:
    """Tell the user, on their next page, that ``what`` was saved, and when."""
    moment = timezone.localtime().strftime("%H:%M")
    messages.success(request, f"Saved at {moment}: {what}", extra_tags=RECEIPT_TAG)
