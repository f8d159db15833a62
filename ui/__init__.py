"""Streamlit glue shared by the pages: cached engine calls, common widgets, uploads."""
