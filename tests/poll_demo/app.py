"""A test-only app for the class poll's presenter panel (ui.poll.poll_panel), with the poll's routes mounted as
app.py mounts them. tests/e2e/test_poll.py runs it from a folder with a link to the app's static/ beside it, as
Streamlit serves the panel's module (static/js/panels/poll_live.js) from the static/ beside the script it runs.
``?q=number`` picks the number question."""
import streamlit as st

QUESTIONS = {
    "choice": {"prompt": "Which fill will MIWAE's importance sampler give the hidden half of this digit?",
               "kind": "choice", "options": ["a 3", "an 8", "a 9", "a blur"],
               "model_answer": {"a 3": 0.15, "an 8": 0.6, "a 9": 0.2, "a blur": 0.05}, "countdown": 3},
    "number": {"prompt": "How many of 100 MNAR-hidden values will MIWAE recover within 0.5?", "kind": "number",
               "lo": 0, "hi": 100, "unit": "values", "model_answer": 38, "tolerance": 10},
}

if __name__ == "__main__":
    from ui import lecture
    from ui.poll import poll_panel

    st.set_page_config(page_title="Poll demo", layout="wide")
    st.title("Class poll demo")
    which = st.query_params.get("q", "choice")
    if lecture.held() is None:  # the demo's lecturer, as a Present makes one: a one-step lecture's room
        from server import rooms
        from server.poll_routes import store
        st.session_state[lecture.PASS] = rooms.open_lecture(store(), "poll-demo", {
            "title": "Poll demo", "steps": [{"page": "home", "note": ""}]}).pass_
    poll_panel(QUESTIONS.get(which, QUESTIONS["choice"]), step_key=f"demo-{which}")
else:
    from server import class_routes, poll_routes

    app = st.App(__file__, routes=poll_routes.ROUTES + class_routes.ROUTES)
