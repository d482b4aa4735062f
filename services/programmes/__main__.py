"""`python -m services.programmes`: run the programmes service on its port."""

from services.programmes.app import create_app
from shared.service import serve

serve("programmes", create_app)
