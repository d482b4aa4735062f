"""`python -m services.countries`: run the countries service on its port."""

from services.countries.app import create_app
from shared.service import serve

serve("countries", create_app)
