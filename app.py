"""Entry point: page config and navigation over app_pages/; the URL kept around each page."""

import streamlit as st

from ui import links
from ui.common import PAGES
from ui.uploads import keep_newest_uploads

keep_newest_uploads()  # a session stores its newest uploads only (see ui/uploads.py)
st.set_page_config(page_icon="🔲", layout="wide")
page = st.navigation([
    st.Page(path, title=title, icon=icon, default=i == 0)
    for i, (path, title, icon) in enumerate(PAGES)
])
# Each page its own browser tab title, so a row of tabs in a lecture stays readable.
st.set_page_config(page_title=f"{page.title} · Convolution visualiser")
notes = st.container()  # at the top of the page: what a link asked for that was not used
links.begin()
try:
    page.run()
finally:  # also after st.stop(): the URL must still describe what the page shows
    links.finish(notes)
