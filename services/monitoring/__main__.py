"""`python -m services.monitoring`: run the monitoring service on its port."""

from services.monitoring.app import create_app
from shared.service import serve

serve("monitoring", create_app)
