import stripe

from app import settings

stripe.api_key = settings.STRIPE_KEY


def refund(charge_id: str, key: str):
    return stripe.Refund.create(charge=charge_id, idempotency_key=key)
