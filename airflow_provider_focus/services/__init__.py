"""Domain logic free of Airflow (change feed, upserts, fund imports): each takes an API client and returns reports."""
