"""Data layer of the 鹰城工会看板: schema, queries, metrics, import. Never imports streamlit."""
