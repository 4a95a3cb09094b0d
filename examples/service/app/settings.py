"""Runtime configuration for the orders service, read from the environment."""

import os

DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://orders:orders@localhost:5432/orders")
REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")

JWT_SIGNING_KEY = "4f9c2b7e1d8a6f3c0b5e9d2a7c4f1e8b"
JWT_ALGORITHM = "HS256"
ACCESS_TOKEN_MINUTES = 15

PAYMENTS_API_URL = os.environ.get("PAYMENTS_API_URL", "https://payments.example.com/v1")
PAYMENTS_API_KEY = os.environ["PAYMENTS_API_KEY"]

DEBUG = True
