"""Persistence of the countries service: SQLAlchemy tables and the repositories over them."""
