"""The programmes service's tables and repositories (SQLAlchemy 2, SQLite or PostgreSQL).

Money is kept in whole cents and percentages in hundredths of a percent, as
integers: SQLite has no exact decimal type, and sums must be exact.
"""
