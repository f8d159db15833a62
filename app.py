"""Entry point: page config and navigation over app_pages/."""

import streamlit as st

from ui.common import PAGES

st.set_page_config(page_title="Convolution visualiser", page_icon="🔲", layout="wide")
page = st.navigation([
    st.Page(path, title=title, icon=icon, default=i == 0)
    for i, (path, title, icon) in enumerate(PAGES)
])
page.run()
