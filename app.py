"""Entry point: page config and navigation over pages/."""

import streamlit as st

st.set_page_config(page_title="Convolution visualiser", page_icon="🔲", layout="wide")
st.title("Convolution visualiser")
st.write("Animated convolution arithmetic is on its way.")
