"""n-plus-one findings in a background task or a management command say why they matter there."""

from tests.conftest import scan_texts

LOOP = """\
from celery import shared_task
from shop.models import Book


{decorator}
def reprice(ids):
    for book_id in ids:
        Book.objects.filter(id=book_id).update(price=0)


def reprice_all():
    for book in Book.objects.all():
        Book.objects.filter(id__lt=book.id).count()
"""


def _messages(path: str, decorator: str) -> list[str]:
    text = LOOP.format(decorator=decorator)
    return [f.message for f in scan_texts({path: text}, ["n-plus-one"]).findings]


def test_task_message_says_a_worker_waits() -> None:
    for decorator in ("@shared_task", "@app.task(bind=True)", "@dramatiq.actor"):
        task, plain = _messages("shop/jobs.py", decorator)
        assert "In a background task" in task, decorator
        assert "In a background task" not in plain  # the undecorated function is not a task


def test_plain_function_has_no_context_note() -> None:
    first, second = _messages("shop/jobs.py", "@staticmethod")
    assert "In a background task" not in first
    assert "In a command" not in first + second


def test_command_message_follows_what_the_loop_walks() -> None:
    over_input, over_rows = _messages("shop/management/commands/reprice.py", "@staticmethod")
    assert "In a command this runs on each invocation" in over_input
    assert "every row the queryset selects" in over_rows
