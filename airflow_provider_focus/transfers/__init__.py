"""Transfer operators: records between Focus and another system (a SQL database through ``common.sql``)."""
