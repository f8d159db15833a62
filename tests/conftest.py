"""Shared fixtures."""

from __future__ import annotations

import pytest


@pytest.fixture
def fresh_caches():
    """Empty Streamlit's caches: they outlive AppTest instances within one process."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
