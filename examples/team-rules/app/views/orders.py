import datetime
import logging
import os

import requests
from flask import Blueprint

from app import http_client
from app.models import Order

bp = Blueprint("orders", __name__)
logger = logging.getLogger(__name__)
CRM_URL = os.environ.get("CRM_URL", "https://crm.example")


@bp.route("/orders/<int:order_id>")
def show(order_id):
    order = Order.objects.get(pk=order_id)
    customer = requests.get(f"{CRM_URL}/customers/{order.customer_id}", timeout=3).json()
    logger.info(f"order {order_id} shown")
    return {"order": order.as_dict(), "customer": customer}


@bp.route("/orders/top")
def top():
    rows = Order.objects.raw("SELECT * FROM orders ORDER BY total DESC LIMIT 10")
    rates = http_client.get("https://fx.example/rates").json()
    logger.info("top orders listed at %s", datetime.datetime.now(datetime.timezone.utc))
    return {"orders": [r.as_dict() for r in rows], "rates": rates}
