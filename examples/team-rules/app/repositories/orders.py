from app.models import Order


def largest(limit: int):
    return list(Order.objects.raw("SELECT * FROM orders ORDER BY total DESC LIMIT %s", [limit]))
