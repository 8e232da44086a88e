"""Streamlit app shell and shared UI code of the 鹰城工会看板 (caching lives here, not in data_access)."""
