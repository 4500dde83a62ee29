"""The only Streamlit-aware helpers: session and login, navigation, words, charts, widgets."""
