"""The domain of Diandan: plain functions over a Session. Never imports Streamlit."""
